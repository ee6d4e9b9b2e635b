import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport
import LeanStatsTestSupport
import Testing

/// The workbook's definitions agree with the query language's: groups without a department or category, ties in
/// the ranking, rates of nothing, changes against an empty period, and the as-of time.
struct ReportDefinitionsTests {
    static let clock = ReportFixture.clock

    static func record(
        _ id: String,
        _ created: String,
        dept: String? = "生产部",
        category: String? = "安全改善",
        user: String = "u1",
        status: InstanceStatus = .completed,
        days: Int = 2
    ) -> InstanceRecord {
        definitionRecord(
            id,
            created,
            clock: clock,
            dept: dept,
            category: category,
            user: user,
            status: status,
            days: days
        )
    }

    /// November 2025 after an October with one instance; the newest finish (11-15) comes after the newest
    /// creation (11-05 09:00).
    static let engine: StatisticsEngine = {
        var builder = InstanceTableBuilder()
        for record in [
            record("a1", "2025-01-10 09:00:00", status: .running),
            record("a2", "2025-10-08 09:00:00"),
            record("a3", "2025-11-02 09:00:00", days: 13),
            record("a4", "2025-11-03 09:00:00", dept: nil, category: nil, user: "u4", days: 5),
            record("a5", "2025-11-04 09:00:00", dept: "质量部", user: "u3", status: .running),
            record("a6", "2025-11-05 09:00:00", dept: "质量部", category: nil, user: "u5", status: .running),
        ] {
            builder.upsert(record)
        }
        return StatisticsEngine(table: builder.build(), clock: clock)
    }()

    static func content(_ period: String, top: Int = 10) throws -> ReportContent {
        let request = try ReportRequest(
            period: try ReportPeriod(parsing: period, today: CivilDate(year: 2025, month: 12, day: 5)),
            deptName: nil,
            topCount: top
        )
        return try ReportContent(engine: engine, request: request)
    }

    static func workbook(_ period: String, top: Int = 10) throws -> XLSXPackage {
        let directory = try TemporaryDirectory(prefix: "leanstats-report")
        let path = directory.file("report.xlsx")
        try ReportWriter().write(try content(period, top: top), to: path)
        return try XLSXPackage(path: path)
    }

    func query(_ line: String) throws -> ResultTable { try QueryExecutor(engine: Self.engine).run(line) }

    @Test func departmentAndCategoryRowsAddUpToTheOverviewWithTheirUnfilledRows() throws {
        let package = try Self.workbook("2025-11")
        let departments = try package.values("部门统计")
        #expect((5..<8).map { departments.text("A\($0)") } == ["质量部", "未填部门", "生产部"])
        #expect((5..<8).compactMap { departments.number("B\($0)") }.reduce(0, +) == 4)
        #expect((5..<8).compactMap { departments.number("C\($0)") }.reduce(0, +) == 1)
        let categories = try package.values("提案类别统计")
        #expect((5..<7).map { categories.text("A\($0)") } == ["安全改善", "未分类"])
        #expect(categories.number("B6") == 2)
        #expect(categories.number("C6") == 0.5)
    }

    @Test func aGroupWithoutInstancesInThePreviousPeriodHasAnEmptyChange() throws {
        let departments = try Self.workbook("2025-11").values("部门统计")
        let production = try #require(departments.row(labeled: "生产部"))
        #expect(departments.number("H\(production)") == 1)
        #expect(departments.number("I\(production)") == 0)
        let quality = try #require(departments.row(labeled: "质量部"))
        #expect(departments.number("H\(quality)") == 0)
        #expect(departments["I\(quality)"] == nil)
        #expect(try query("by dept count 2025-11 vs prev where dept=质量部").value(0, "count_change") == .null)
    }

    @Test func theRankingKeepsEveryoneTiedWithTheLastPlace() throws {
        let ranking = try Self.workbook("2025-11", top: 2).values("个人排行榜")
        #expect(ranking.filledRows(in: "B", from: 5) == 4)
        #expect((5..<9).compactMap { ranking.number("A\($0)") } == [1, 1, 1, 1])
    }

    @Test func rateChangesArePercentagePointsAndRatesOfNothingAreEmpty() throws {
        let package = try Self.workbook("2025-11")
        let values = try package.values("总体概览")
        let passRate = try #require(values.row(labeled: "通过率"))
        // 2 of 4 passed against 1 of 1: −50 percentage points.
        #expect(values.number("B\(passRate)") == 0.5)
        #expect(values.number("D\(passRate)") == -50)
        let formats = try package.numberFormats()
        let style = try #require(try package.cells("总体概览")["D\(passRate)"]?.style)
        #expect(formats[style] == "+0.0\"个百分点\";-0.0\"个百分点\";0.0\"个百分点\"")

        let january = try Self.workbook("2025-01").values("总体概览")
        let within30 = try #require(january.row(labeled: "30天内完成率"))
        #expect(january["B\(within30)"] == nil)
        #expect(try query("efficiency 2025-01").value(0, "within30_rate") == .null)
    }

    @Test func changesAgainstAnEmptyPreviousPeriodAreEmptyAndWarned() throws {
        let content = try Self.content("2025-01")
        #expect(
            content.warnings == [
                "no instances in the previous period 2024-12 (2024-12-01..2024-12-31): the data covers "
                    + "2025-01-10..2025-11-05 by creation time; the changes against it are left empty"
            ]
        )
        let values = try Self.workbook("2025-01").values("总体概览")
        let count = try #require(values.row(labeled: "提案数"))
        #expect(values.number("B\(count)") == 1)
        #expect(values.number("C\(count)") == 0)
        #expect(values["D\(count)"] == nil)
        #expect(values["E\(count)"] == nil)
    }

    @Test func anEmptyMonthIsWrittenWithAWarning() throws {
        let content = try Self.content("2025-12")
        #expect(
            content.warnings == [
                "no instances in 2025-12 (2025-12-01..2025-12-31): the data covers 2025-01-10..2025-11-05 by "
                    + "creation time; the workbook shows zeros and leaves rates empty"
            ]
        )
        let values = try Self.workbook("2025-12").values("总体概览")
        let passRate = try #require(values.row(labeled: "通过率"))
        #expect(values["B\(passRate)"] == nil)
    }

    @Test func theAsOfTimeIsTheNewestCreationNotTheNewestFinish() throws {
        let content = try Self.content("2025-11")
        #expect(content.asOf == Self.clock.parseLocal("2025-11-05 09:00:00"))
        let values = try Self.workbook("2025-11").values("总体概览")
        #expect(values.text("A2")?.contains("数据截至 2025-11-05 09:00（Asia/Shanghai）") == true)
    }
}
