import LeanStatsCore
import LeanStatsTestSupport
import Testing

/// Hand-computed answers on small tables, one behaviour per test.
struct KernelTests {
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    func time(_ text: String) -> Int64 { clock.parseLocal(text)! }

    func engine(_ records: [InstanceRecord], options: KernelOptions = .default) -> StatisticsEngine {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return StatisticsEngine(table: builder.build(), clock: clock, options: options)
    }

    func record(
        _ id: String,
        _ created: String,
        finished: String? = nil,
        status: InstanceStatus = .completed,
        result: InstanceResult? = .agree,
        user: String? = "u1",
        name: String? = "张三",
        deptId: String? = "10",
        dept: String? = "生产部",
        category: String? = "安全改善"
    ) -> InstanceRecord {
        InstanceRecord(
            instanceId: id,
            createTime: time(created),
            finishTime: finished.map(time),
            status: status,
            result: result,
            originatorUserId: user,
            originatorUserName: name,
            originatorDeptId: deptId,
            originatorDeptName: dept,
            formFields: category.map { [FormField(name: categoryFieldName, value: $0)] } ?? []
        )
    }

    let november = DayRange(
        from: CivilDate(year: 2025, month: 11, day: 1),
        through: CivilDate(year: 2025, month: 11, day: 30)
    )

    @Test func aPeriodIncludesTheLastSecondOfItsLastDayAndExcludesTheNextMidnight() {
        let stats = engine([
            record("a", "2025-10-31 23:59:59"),
            record("b", "2025-11-01 00:00:00"),
            record("c", "2025-11-30 23:59:59"),
            record("d", "2025-12-01 00:00:00"),
        ]).overview(period: november)
        #expect(stats.count == 2)
    }

    @Test func instancesWithoutDeptNameOrCategoryFormGroupsOfTheirOwnThatAddUpToTheOverview() {
        let engine = engine([
            record("a", "2025-11-02 10:00:00", dept: nil, category: nil),
            record("b", "2025-11-03 10:00:00", dept: "质量部", category: nil),
            record("c", "2025-11-04 10:00:00", dept: nil, category: "效率提升"),
        ])
        #expect(engine.overview(period: november).count == 3)
        let departments = engine.grouped(by: .dept, period: november)
        #expect(departments.map(\.key) == ["未填部门", "质量部"])
        #expect(departments.map(\.count) == [2, 1])
        #expect(departments.map(\.participants) == [1, 1])
        let categories = engine.grouped(by: .category, period: november)
        #expect(categories.map(\.key) == ["未分类", "效率提升"])
        #expect(categories.map(\.count) == [2, 1])
    }

    @Test func aUserWhoChangedDepartmentIsAParticipantOfBothAndRanksOncePerDepartment() {
        let engine = engine([
            record("a", "2025-11-02 10:00:00", user: "u1", deptId: "10", dept: "生产部"),
            record("b", "2025-11-03 10:00:00", user: "u1", deptId: "20", dept: "质量部"),
            record("c", "2025-11-04 10:00:00", user: "u1", deptId: "20", dept: "质量部"),
            record("d", "2025-11-05 10:00:00", user: "u2", deptId: "20", dept: "质量部"),
        ])
        let byDept = engine.grouped(by: .dept, period: november)
        #expect(byDept.map(\.key) == ["质量部", "生产部"])
        #expect(byDept.map(\.participants) == [2, 1])
        #expect(engine.overview(period: november).participants == 2)
        #expect(engine.overview(period: november).depts == 2)
        let top = engine.topProposers(10, period: november)
        #expect(top.map { "\($0.userId)/\($0.deptName ?? "-")/\($0.count)" } == ["u1/质量部/2", "u1/生产部/1", "u2/质量部/1"])
    }

    @Test func theRankingShowsTheUsersLatestNameFromTheWholeStore() {
        let engine = engine([
            record("a", "2025-11-02 10:00:00", name: "张三"),
            record("b", "2025-11-03 10:00:00", name: "张三"),
            record("c", "2026-01-05 10:00:00", name: "张叁"),
            record("d", "2026-02-05 10:00:00", name: nil),
        ])
        let top = engine.topProposers(1, period: november)
        #expect(top.first?.userName == "张叁")
        #expect(top.first?.count == 2)
    }

    @Test func rowsWithoutAUserNameAreLeftOutOfTheRanking() {
        let engine = engine([
            record("a", "2025-11-02 10:00:00", user: "u1", name: nil),
            record("b", "2025-11-03 10:00:00", user: "u2", name: "李四"),
        ])
        #expect(engine.topProposers(10, period: november).map(\.userId) == ["u2"])
    }

    @Test func completedWithoutFinishTimeDoesNotCountForProcessingTime() {
        let stats = engine([
            record("a", "2025-11-02 10:00:00", finished: nil),
            record("b", "2025-11-02 10:00:00", finished: "2025-11-04 09:00:00"),
            record("c", "2025-11-02 10:00:00", finished: "2025-11-05 09:00:00", status: .terminated),
        ]).overview(period: november)
        #expect(stats.completed == 1)
        #expect(stats.avgDays == 2)
    }

    @Test func processingDaysAreCalendarDateDifferencesAndThirtyCountsAsWithin() {
        let stats = engine([
            record("zero", "2025-11-02 08:00:00", finished: "2025-11-02 23:00:00"),
            record("thirty", "2025-11-02 23:59:00", finished: "2025-12-02 00:01:00"),
            record("thirty-one", "2025-11-02 10:00:00", finished: "2025-12-03 10:00:00"),
        ]).overview(period: november)
        #expect(stats.minDays == 0)
        #expect(stats.maxDays == 31)
        #expect(stats.completed == 3)
        #expect(stats.within30 == 2)
        #expect(stats.within30Rate == 2.0 / 3.0 * 100)
        #expect(stats.avgDays == 61.0 / 3.0)
    }

    @Test func anInstanceImportedTwiceCountsOnceWithItsNewerStatus() {
        let engine = engine([
            record("a", "2025-11-02 10:00:00", status: .running, result: nil),
            record("a", "2025-11-02 10:00:00", finished: "2025-11-03 10:00:00", status: .completed, result: .agree),
        ])
        let stats = engine.overview(period: november)
        #expect(stats.count == 1)
        #expect(stats.passed == 1)
        #expect(engine.grouped(by: .status, period: november).map(\.key) == ["COMPLETED"])
    }

    @Test func anEmptyPeriodGivesZerosAndNoDivisionError() {
        let stats = engine([record("a", "2025-11-02 10:00:00")])
            .overview(
                period: DayRange(
                    from: CivilDate(year: 2024, month: 1, day: 1),
                    through: CivilDate(year: 2024, month: 1, day: 31)
                )
            )
        #expect(stats.count == 0)
        #expect(stats.passRate == 0)
        #expect(stats.participants == 0)
        #expect(stats.avgDays == nil)
        #expect(stats.minDays == nil)
        #expect(stats.within30Rate == nil)
    }

    @Test func passRateIsPassedOverCountTimesHundred() {
        var records = (0..<5).map { record("p\($0)", "2025-11-0\($0 + 1) 10:00:00") }
        records += (0..<2).map { record("r\($0)", "2025-11-0\($0 + 1) 11:00:00", result: .refuse) }
        let byDept = engine(records).grouped(by: .dept, period: november)
        #expect(byDept.first?.passRate == 71.42857142857143)
    }

    @Test func groupsSortByCountDescendingThenKeyInUTF8ByteOrder() {
        let engine = engine([
            record("a", "2025-11-02 10:00:00", dept: "b部"),
            record("b", "2025-11-02 10:00:00", dept: "a部"),
            record("c", "2025-11-02 10:00:00", dept: "Z部"),
            record("d", "2025-11-02 10:00:00", dept: "生产部"),
            record("e", "2025-11-03 10:00:00", dept: "生产部"),
        ])
        #expect(engine.grouped(by: .dept, period: november).map(\.key) == ["生产部", "Z部", "a部", "b部"])
    }

    @Test func monthsAreGroupedInTheConfiguredZoneAndSortedAscending() {
        let engine = engine([
            record("a", "2025-12-01 00:30:00"),
            record("b", "2025-10-31 23:30:00"),
            record("c", "2025-11-15 12:00:00", user: "u2"),
            record("d", "2025-11-16 12:00:00", user: "u2"),
        ])
        let months = engine.grouped(by: .month, period: nil)
        #expect(months.map(\.key) == ["2025-10", "2025-11", "2025-12"])
        #expect(months.map(\.count) == [1, 2, 1])
        #expect(months.map(\.participants) == [1, 1, 1])
    }

    @Test func filtersOnDeptCategoryAndStatusCombineAndAnUnknownValueMatchesNothing() {
        let engine = engine([
            record("a", "2025-11-02 10:00:00", status: .running, result: nil, dept: "生产部", category: "安全改善"),
            record("b", "2025-11-02 10:00:00", dept: "生产部", category: "安全改善"),
            record("c", "2025-11-02 10:00:00", dept: "质量部", category: "安全改善"),
        ])
        let filter = StatisticsFilter(deptName: "生产部", category: "安全改善", status: .completed)
        #expect(engine.overview(period: november, filter: filter).count == 1)
        #expect(engine.overview(period: november, filter: StatisticsFilter(deptName: "没有这个部门")).count == 0)
        #expect(engine.grouped(by: .dept, period: nil, filter: StatisticsFilter(category: "无")).isEmpty)
    }

    @Test func byUserShowsTheLatestNameAndKeepsTheIdForTies() {
        let engine = engine([
            record("a", "2025-11-02 10:00:00", user: "u9", name: "旧名"),
            record("b", "2025-11-05 10:00:00", user: "u9", name: "新名"),
            record("c", "2025-11-03 10:00:00", user: "u1", name: "甲"),
        ])
        let users = engine.grouped(by: .user, period: november)
        #expect(users.map(\.key) == ["新名", "甲"])
        #expect(users.map(\.userId) == ["u9", "u1"])
    }
}
