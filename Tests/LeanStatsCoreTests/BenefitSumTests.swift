import Testing

@testable import LeanStatsCore

/// Benefit sums stay exact near the supported amounts and cannot overflow, and no amount can trap a query.
struct BenefitSumTests {
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    /// An engine over one instance per amount; `workers` 0 means one worker over the whole table in one morsel.
    func engine(_ amounts: [String], workers: Int = 2) -> StatisticsEngine {
        var builder = InstanceTableBuilder()
        for (index, amount) in amounts.enumerated() {
            builder.upsert(
                InstanceRecord(
                    instanceId: "i\(index)",
                    createTime: 1_762_000_000 + Int64(index),
                    originatorUserId: "u",
                    originatorDeptName: index % 2 == 0 ? "生产部" : "质量部",
                    formFields: [FormField(name: StatisticsEngine.defaultBenefitField, value: amount)]
                )
            )
        }
        return StatisticsEngine(
            table: builder.build(),
            clock: clock,
            options: workers == 0 ? .serial : KernelOptions(workers: workers, morselSize: 7)
        )
    }

    @Test func amountsBeyondTheSupportedRangeCountAsTextInsteadOfTrappingTheQuery() {
        let engine = engine(["100000000000000000", "1e17", "5e16", "5e16", "12.5", "-1e300"])
        #expect(engine.overview(period: nil, options: .benefit).benefitSum == 12.5)
        let groups = engine.grouped(by: .dimension(.dept), period: nil, options: .benefit)
        #expect(groups.map(\.key) == ["生产部", "质量部"])
        #expect(groups.map(\.benefitSum) == [12.5, 0])
    }

    @Test(arguments: [0, 1, 2])
    func sumsOfManyMaximalAmountsDoNotWrapAround(workers: Int) {
        // 2,000 × 10^15 cents = 2 × 10^18 cents fits 64 bits; 20,000 of them (2 × 10^19) does not.
        let small = engine(Array(repeating: "10000000000000", count: 2_000), workers: workers)
        #expect(small.overview(period: nil, options: .benefit).benefitSum == 2e16)
        let large = engine(Array(repeating: "10000000000000", count: 20_000), workers: workers)
        #expect(large.overview(period: nil, options: .benefit).benefitSum == 2e17)
        let byDept = large.grouped(by: .dimension(.dept), period: nil, options: .benefit)
        #expect(byDept.map(\.benefitSum) == [1e17, 1e17])
        let negative = engine(Array(repeating: "-10000000000000", count: 20_000), workers: workers)
        #expect(negative.overview(period: nil, options: .benefit).benefitSum == -2e17)
    }

    @Test func mixedSignsStayExactToTheCent() {
        let engine = engine(["10000000000000", "-9999999999999.99", "0.01", "-0.03"])
        #expect(engine.overview(period: nil, options: .benefit).benefitSum == -0.01)
    }

    @Test(arguments: [
        ("10000000000000", ValueLimits.BenefitAmount.cents(1_000_000_000_000_000)),
        ("-10000000000000", .cents(-1_000_000_000_000_000)),
        ("10000000000000.01", .outOfRange),
        ("1e17", .outOfRange),
        ("待评估", .notANumber),
        ("1,200元", .cents(120_000)),
    ])
    func benefitAmountsAreClassifiedAgainstTheLimit(text: String, expected: ValueLimits.BenefitAmount) {
        #expect(ValueLimits.benefitAmount(text) == expected)
    }

    @Test func aTotalBeyondSixtyFourBitsOfCentsIsStillReported() {
        let total = BenefitTotal(high: Int(Int32.max), low: 4_294_967_295)
        #expect(total.yuan == (Double(Int32.max) * 4_294_967_296 + 4_294_967_295) / 100)
    }
}
