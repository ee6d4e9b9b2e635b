import LeanStatsTestSupport
import Testing

@testable import LeanStatsCore

/// Benefit sums, percentiles, calendar buckets, result groups and form-field groupings.
struct ExtendedStatisticsTests {
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    func engine(_ records: [InstanceRecord]) -> StatisticsEngine {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return StatisticsEngine(table: builder.build(), clock: clock, options: KernelOptions(workers: 2, morselSize: 2))
    }

    func record(
        _ id: String,
        _ created: String,
        days: Int? = nil,
        benefit: String? = nil,
        type: String? = nil
    )
        -> InstanceRecord
    {
        let create = clock.parseLocal(created)!
        var fields: [FormField] = []
        if let benefit { fields.append(FormField(name: "预计收益(元)", value: benefit)) }
        if let type { fields.append(FormField(name: "改善类型", value: type)) }
        return InstanceRecord(
            instanceId: id,
            createTime: create,
            finishTime: days.map { create + Int64($0) * 86_400 },
            status: days == nil ? .running : .completed,
            result: days == nil ? nil : (id.hasPrefix("r") ? .refuse : .agree),
            originatorUserId: "u",
            formFields: fields
        )
    }

    @Test func benefitSumAddsNumbersWrittenWithSeparatorsAndUnitsAndSkipsText() {
        let stats = engine([
            record("a", "2025-11-01 10:00:00", benefit: "1,200"),
            record("b", "2025-11-02 10:00:00", benefit: "500元"),
            record("c", "2025-11-03 10:00:00", benefit: "0.5"),
            record("d", "2025-11-04 10:00:00", benefit: "待评估"),
            record("e", "2025-11-05 10:00:00"),
        ]).overview(period: nil, options: .benefit)
        #expect(stats.benefitSum == 1700.5)
    }

    @Test func percentilesInterpolateBetweenClosestRanks() {
        let stats = engine(
            [0, 10, 20, 30].enumerated().map { record("p\($0.offset)", "2025-11-01 10:00:00", days: $0.element) }
        )
        .overview(period: nil, options: .percentiles)
        #expect(stats.p50Days == 15)
        #expect(stats.p90Days == 27)
    }

    @Test func percentilesAreAbsentWhenNothingCompleted() {
        let stats = engine([record("a", "2025-11-01 10:00:00")]).overview(
            period: nil,
            options: [.percentiles, .outcomes]
        )
        #expect(stats.p50Days == nil)
        #expect(stats.running == 1)
    }

    @Test func quartersAndYearsAreCalendarBucketsInOrder() {
        let engine = engine([
            record("a", "2024-12-31 23:00:00"), record("b", "2025-01-01 00:30:00"), record("c", "2025-04-01 09:00:00"),
            record("d", "2025-06-30 09:00:00"),
        ])
        #expect(engine.grouped(by: .quarter, period: nil).map(\.key) == ["2024-Q4", "2025-Q1", "2025-Q2"])
        #expect(engine.grouped(by: .quarter, period: nil).map(\.count) == [1, 1, 2])
        #expect(engine.grouped(by: .year, period: nil).map { "\($0.key):\($0.count)" } == ["2024:1", "2025:3"])
    }

    @Test func resultGroupsCountRefusalsAndLeaveOutOpenInstances() {
        let engine = engine([
            record("a1", "2025-11-01 10:00:00", days: 1), record("a2", "2025-11-01 10:00:00", days: 2),
            record("r1", "2025-11-01 10:00:00", days: 3), record("open", "2025-11-01 10:00:00"),
        ])
        let groups = engine.grouped(by: .result, period: nil)
        #expect(groups.map(\.key) == ["agree", "refuse"])
        #expect(groups.map(\.refused) == [0, 1])
    }

    @Test func anyFormFieldCanBeAGroupingWithPercentilesPerGroup() {
        let engine = engine([
            record("a", "2025-11-01 10:00:00", days: 4, type: "自动化"),
            record("b", "2025-11-02 10:00:00", days: 8, type: "自动化"),
            record("c", "2025-11-03 10:00:00", days: 1, type: "防错"), record("d", "2025-11-04 10:00:00"),
        ])
        let groups = engine.grouped(by: .field("改善类型"), period: nil, options: [.distinct, .percentiles])
        #expect(groups.map(\.key) == ["自动化", "防错"])
        #expect(groups.map(\.p50Days) == [6, 1])
        #expect(engine.grouped(by: .field("不存在的字段"), period: nil).isEmpty)
    }

    @Test func drillDownRowsComeNewestFirstAndHonourTheLimit() {
        let engine = engine([
            record("a", "2025-11-01 10:00:00"), record("b", "2025-11-02 10:00:00"), record("c", "2025-11-03 10:00:00"),
        ])
        let rows = engine.instanceRows(period: nil, limit: 2)
        #expect(rows.map { engine.table.instanceId[$0] } == ["c", "b"])
    }
}

/// `by user … limit N` selects its groups before finishing them; the answer is the head of the full ranking.
struct UserLimitTests {
    @Test(arguments: [0, 1, 3, 10, 57, 1500])
    func aLimitedUserRankingIsTheHeadOfTheFullOneTiesIncluded(limit: Int) {
        // 40 users over 3000 instances: many equal counts, so ties are broken by user id at every cut.
        var builder = InstanceTableBuilder()
        for record in randomInstances(count: 3000, seed: 12, users: 40) { builder.upsert(record) }
        let engine = StatisticsEngine(
            table: builder.build(),
            clock: try! ZoneClock(identifier: "Asia/Shanghai"),
            options: KernelOptions(workers: 2, morselSize: 64)
        )
        for options in [StatisticsOptions(), .standard, .all] {
            let full = engine.grouped(by: .dimension(.user), period: nil, options: options)
            let limited = engine.grouped(by: .dimension(.user), period: nil, options: options, limit: limit)
            #expect(limited == Array(full.prefix(limit)))
            #expect(limited.allSatisfy { !$0.key.isEmpty && $0.userId != nil })
        }
        let counts = engine.grouped(by: .dimension(.user), period: nil, options: []).map(\.count)
        #expect(Set(counts).count < counts.count, "the data must hold ties")
    }
}

/// Percentiles of processing days counted from a histogram equal those of the sorted values.
struct DayPercentileTests {
    @Test(arguments: [1, 2, 255, 256, 257, 1000, 40_000])
    func countedPercentilesEqualSortedOnes(size: Int) {
        var generator = SeededGenerator(seed: UInt64(size))
        for spread in [1, 30, 400, 100_000] {
            var values = (0..<size).map { _ in Int32.random(in: -3...Int32(spread), using: &generator) }
            let sorted = values.sorted()
            let expected = sorted.withUnsafeBufferPointer { (quantile($0, 0.5), quantile($0, 0.9)) }
            let counted = values.withUnsafeMutableBufferPointer { medianAndNinetieth($0) }
            #expect(counted.p50 == expected.0, "size \(size), spread \(spread)")
            #expect(counted.p90 == expected.1, "size \(size), spread \(spread)")
        }
    }
}
