import LeanStatsCore
import LeanStatsTestSupport
import Testing

/// `age_days` counts the open instances and adds up their creation days in the configured zone, whatever kernel
/// path or parallel split answers the query.
struct OpenAgeTests {
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    func engine(_ records: [InstanceRecord], workers: Int) -> StatisticsEngine {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return StatisticsEngine(
            table: builder.build(),
            clock: clock,
            options: KernelOptions(workers: workers, morselSize: 29, occurrenceScanRows: 0)
        )
    }

    /// Open instances and the sum of their creation days, computed record by record.
    func expected(_ records: [InstanceRecord], where keep: (InstanceRecord) -> Bool) -> (open: Int, days: Int) {
        let open = ReferenceStatistics(records: records, clock: clock).records.filter { record in
            (record.status == .running || record.status == .new) && keep(record)
        }
        return (open.count, open.reduce(0) { $0 + clock.dayNumber(at: $1.createTime) })
    }

    @Test(arguments: [1, 3])
    func openInstancesAndTheirCreationDaysMatchTheRecords(workers: Int) {
        let records = randomInstances(count: 2000, seed: 41)
        let engine = engine(records, workers: workers)
        let overall = engine.overview(period: nil, options: [.openAge])
        let all = expected(records) { _ in true }
        #expect(all.open > 0)
        #expect(overall.open == all.open)
        #expect(overall.openCreatedDays == all.days)
        let filtered = engine.overview(period: nil, filter: StatisticsFilter(deptName: "质量部"), options: [.openAge])
        let quality = expected(records) { $0.originatorDeptName == "质量部" }
        #expect(filtered.open == quality.open)
        #expect(filtered.openCreatedDays == quality.days)
        let departments = engine.grouped(by: .dimension(.dept), period: nil, options: [.openAge])
        #expect(departments.contains { $0.key == StatisticsEngine.missingDeptLabel })
        for group in departments {
            let inDept = expected(records) {
                ($0.originatorDeptName ?? StatisticsEngine.missingDeptLabel) == group.key
            }
            #expect(group.open == inDept.open, "\(group.key)")
            #expect(group.openCreatedDays == inDept.days, "\(group.key)")
        }
        // Instances without a category are the 未分类 row, open ones included, so the rows add up to the total.
        let categories = engine.grouped(by: .dimension(.category), period: nil, options: [.openAge])
        #expect(categories.contains { $0.key == StatisticsEngine.missingCategoryLabel })
        for group in categories {
            let inCategory = expected(records) {
                ($0.formValue(categoryFieldName) ?? StatisticsEngine.missingCategoryLabel) == group.key
            }
            #expect(group.open == inCategory.open, "\(group.key)")
            #expect(group.openCreatedDays == inCategory.days, "\(group.key)")
        }
        #expect(categories.reduce(0) { $0 + $1.open } == all.open)
        #expect(departments.reduce(0) { $0 + $1.open } == all.open)
        for month in engine.grouped(by: .dimension(.month), period: nil, options: [.openAge]) {
            let inMonth = expected(records) { clock.date(at: $0.createTime).monthText == month.key }
            #expect(month.open == inMonth.open, "\(month.key)")
        }
    }

    @Test func theAgeIsTodayMinusTheMeanCreationDayAndNullWithoutOpenInstances() {
        var statistics = GroupStatistics(key: "")
        let today = CivilDate(year: 2025, month: 12, day: 6)
        #expect(statistics.ageDays(asOf: today) == nil)
        statistics.open = 2
        statistics.openCreatedDays =
            CivilDate(year: 2025, month: 12, day: 1).dayNumber
            + CivilDate(year: 2025, month: 11, day: 30).dayNumber
        #expect(statistics.ageDays(asOf: today) == 5.5)
    }
}
