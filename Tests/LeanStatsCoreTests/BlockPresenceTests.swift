import LeanStatsTestSupport
import Testing

@testable import LeanStatsCore

/// Distinct department ids of a row range come from which ids each block of rows holds, and equal a set of the ids,
/// wherever the range starts and ends.
struct BlockPresenceTests {
    /// Codes in runs, so that some codes occur in only a few blocks, with missing (0) rows among them.
    func codes(count: Int, values: Int, seed: UInt64) -> [UInt32] {
        var random = SeededGenerator(seed: seed)
        var codes: [UInt32] = []
        while codes.count < count {
            let code = UInt32.random(in: 0..<UInt32(values), using: &random)
            codes += repeatElement(code, count: Int.random(in: 1..<3000, using: &random))
        }
        return Array(codes.prefix(count))
    }

    @Test(arguments: [(values: 300, seed: 1 as UInt64), (values: 40, seed: 2), (values: 4096, seed: 3)])
    func distinctCodesOfAnyRangeEqualASetOfThem(values: Int, seed: UInt64) throws {
        let rows = 5 * BlockPresence.blockRows + 123
        let plain = codes(count: rows, values: values, seed: seed)
        let column = CodeArray(plain, maxCode: UInt32(values - 1))
        let presence = try #require(BlockPresence(codes: column, values: values))
        let block = BlockPresence.blockRows
        var ranges = [0..<rows, 0..<0, 5..<6, block..<(2 * block), (block - 1)..<(block + 1), 17..<(4 * block + 9)]
        var random = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let low = Int.random(in: 0...rows, using: &random)
            ranges.append(low..<Int.random(in: low...rows, using: &random))
        }
        for range in ranges {
            let expected = Set(plain[range]).subtracting([0]).count
            #expect(presence.distinct(in: range) == expected, "\(range)")
        }
    }

    @Test func moreIdsThanItHoldsAreNotRecorded() {
        let many = CodeArray((0..<5000).map { UInt32($0) }, maxCode: 4999)
        #expect(BlockPresence(codes: many, values: 5000) == nil)
        let most = CodeArray((0..<4096).map { UInt32($0) }, maxCode: 4095)
        #expect(BlockPresence(codes: most, values: BlockPresence.maximumValues)?.distinct(in: 0..<4096) == 4095)
    }

    /// Records over many blocks: `departments` ids, each in runs of consecutive instances.
    func records(count: Int, departments: Int) -> [InstanceRecord] {
        let start: Int64 = 1_704_038_400  // 2024-01-01 00:00 Beijing
        return (0..<count).map { index in
            InstanceRecord(
                instanceId: "i\(index)",
                createTime: start + Int64(index) * 600,
                status: .completed,
                result: .agree,
                originatorUserId: "u\(index % 97)",
                originatorDeptId: index % 11 == 0 ? nil : "d\((index / 7) % departments)",
                originatorDeptName: "部门"
            )
        }
    }

    @Test(arguments: [60, 5000])
    func overviewsCountTheDepartmentsOfTheirPeriodWithFewOrManyDepartments(departments: Int) throws {
        let clock = try ZoneClock(identifier: "Asia/Shanghai")
        let records = records(count: 30_000, departments: departments)
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let engine = StatisticsEngine(
            table: builder.build(),
            clock: clock,
            options: KernelOptions(workers: 2, morselSize: 1000, occurrenceScanRows: 0)
        )
        #expect((engine.departmentPresence() == nil) == (departments > BlockPresence.maximumValues))
        let reference = ReferenceStatistics(records: records, clock: clock)
        let periods: [DayRange?] = [
            nil,
            DayRange(from: CivilDate(year: 2024, month: 1, day: 20), through: CivilDate(year: 2024, month: 3, day: 2)),
            DayRange(from: CivilDate(year: 2024, month: 2, day: 1), through: CivilDate(year: 2024, month: 2, day: 1)),
        ]
        for period in periods {
            let overview = engine.overview(period: period)
            #expect(overview.depts == reference.overview(period).depts, "\(String(describing: period))")
            #expect(overview.depts > 0)
        }
        let months = engine.grouped(by: .month, period: nil)
        #expect(months.count > 3)
        #expect(months.map(\.depts) == reference.grouped(by: .month, nil).map(\.depts))
    }
}
