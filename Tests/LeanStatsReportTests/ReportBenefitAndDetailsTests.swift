import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport
import LeanStatsTestSupport
import Testing

/// Expected benefit per department, category and instance, the proposal's own name in 明细, a workbook without
/// 明细, and no charts of a single bar.
struct ReportBenefitAndDetailsTests {
    let package: XLSXPackage

    init() throws {
        package = try ReportFixture.november.get().package
    }

    func run(_ line: String) throws -> ResultTable { try ReportFixture.executor.run(line) }

    /// The column letter of a header in row 4.
    func column(_ title: String, in values: [String: CellValue]) throws -> String {
        try #require(values.headers(row: 4).first { $0.key == title }?.value, "no column \(title)")
    }

    @Test(arguments: [("部门统计", "dept"), ("提案类别统计", "category")])
    func benefitSumsPerGroupEqualTheQueryLanguage(sheet: String, dimension: String) throws {
        let values = try package.values(sheet)
        let benefit = try column("预计收益(元)", in: values)
        let result = try run("by \(dimension) count,benefit_sum 2025-11")
        #expect(values.filledRows(in: "A", from: 5) == result.rows.count)
        for index in result.rows.indices {
            let row = 5 + index
            #expect(values.text("A\(row)") == result.value(index, dimension).string)
            #expect(same(values.number("\(benefit)\(row)"), result.value(index, "benefit_sum").double))
        }
        let total = result.rows.indices.compactMap { result.value($0, "benefit_sum").double }.reduce(0, +)
        #expect(total > 0)
        let formats = try package.numberFormats()
        let style = try #require(try package.cells(sheet)["\(benefit)5"]?.style)
        #expect(formats[style] == "#,##0.00")
    }

    @Test func detailsShowTheProposalNameAndTheBenefitOfEachInstance() throws {
        let values = try package.values("明细")
        let name = try column("提案名称", in: values)
        let benefit = try column("预计收益(元)", in: values)
        #expect(name == "C")
        let content = try ReportFixture.content("2025-11")
        #expect(content.hasProposalNames)
        var named = 0
        var sum = 0.0
        for (index, detail) in content.details.enumerated() {
            let row = 5 + index
            #expect(values.text("\(name)\(row)") == detail.proposalName)
            #expect(same(values.number("\(benefit)\(row)"), detail.benefit))
            if detail.proposalName != nil { named += 1 }
            sum += values.number("\(benefit)\(row)") ?? 0
        }
        #expect(named > 0)
        let byDept = try run("by dept benefit_sum 2025-11")
        let expected = byDept.rows.indices.compactMap { byDept.value($0, "benefit_sum").double }.reduce(0, +)
        #expect(abs(sum - expected) < 0.005)
    }

    @Test func aFormWithoutProposalNamesHasNoSuchColumn() throws {
        let clock = ReportFixture.clock
        let create = clock.parseLocal("2025-11-03 09:00:00")!
        var builder = InstanceTableBuilder()
        builder.upsert(
            InstanceRecord(
                instanceId: "x1",
                businessId: "B-x1",
                title: "提案 x1",
                createTime: create,
                finishTime: nil,
                status: .running,
                result: nil,
                originatorUserId: "u1",
                originatorUserName: "名u1",
                originatorDeptId: "1",
                originatorDeptName: "生产部",
                formFields: [FormField(name: "预计收益(元)", value: "1,200")]
            )
        )
        let engine = StatisticsEngine(table: builder.build(), clock: clock)
        let request = try ReportRequest(
            period: try ReportPeriod(parsing: "2025-11", today: CivilDate(year: 2025, month: 12, day: 5))
        )
        let content = try ReportContent(engine: engine, request: request)
        #expect(!content.hasProposalNames)
        let directory = try TemporaryDirectory(prefix: "leanstats-report")
        let path = directory.file("report.xlsx")
        try ReportWriter().write(content, to: path)
        let details = try XLSXPackage(path: path).values("明细")
        #expect(!details.headers(row: 4).keys.contains("提案名称"))
        #expect(details.text("C4") == "发起人")
        #expect(details.number("\(try column("预计收益(元)", in: details))5") == 1200)
    }

    @Test func aReportWithoutDetailsLeavesOnlyThatSheetOut() throws {
        let request = try ReportRequest(
            period: try ReportPeriod(parsing: "2025-11", today: CivilDate(year: 2025, month: 12, day: 5)),
            includesDetails: false
        )
        let content = try ReportContent(engine: ReportFixture.engine, request: request)
        #expect(content.details.isEmpty)
        #expect(content.durations == (try ReportFixture.content("2025-11")).durations)
        let directory = try TemporaryDirectory(prefix: "leanstats-report")
        let path = directory.file("report.xlsx")
        try ReportWriter().write(content, to: path)
        let package = try XLSXPackage(path: path)
        #expect(try package.sheetNames() == ReportWriter.sheetNames.filter { $0 != "明细" })
        #expect(try package.charts(on: "部门统计").count == 1)
    }

    @Test func aDepartmentPackDrawsNoChartOfASingleBar() throws {
        let package = try XLSXPackage(path: try ReportFixture.write("2025-11", dept: "质量部"))
        #expect(try package.charts(on: "部门统计").isEmpty)
        let overview = try package.charts(on: "总体概览").map { $0.all("barChart").isEmpty ? "other" : "bar" }
        #expect(!overview.contains("bar"))
        #expect(try package.charts(on: "月度趋势").count == 1)
    }
}
