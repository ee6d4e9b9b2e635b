import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport
import Testing

/// The numbers in the workbook, read back from its XML, against the query language's answers.
struct WorkbookValuesTests {
    let package: XLSXPackage

    init() throws {
        package = try ReportFixture.november.get().package
    }

    func run(_ line: String) throws -> ResultTable { try ReportFixture.executor.run(line) }

    @Test func overviewFiguresEqualTheQueryLanguagesAnswersForBothPeriods() throws {
        let values = try package.values("总体概览")
        let now = try run("overview 2025-11")
        let before = try run("overview 2025-10")
        let efficiency = try run("efficiency 2025-11")
        let previousEfficiency = try run("efficiency 2025-10")
        let figures: [(String, ResultTable, ResultTable, String, Double)] = [
            ("提案数", now, before, "count", 1), ("通过数", now, before, "passed", 1),
            ("通过率", now, before, "pass_rate", 0.01), ("参与人数", now, before, "participants", 1),
            ("参与部门数", now, before, "depts", 1),
            ("已完成审批数", efficiency, previousEfficiency, "completed", 1),
            ("平均处理天数", efficiency, previousEfficiency, "avg_days", 1),
            ("30天内完成率", efficiency, previousEfficiency, "within30_rate", 0.01),
        ]
        for (label, current, previous, metric, scale) in figures {
            let row = try #require(values.row(labeled: label), "no row \(label)")
            let expectedNow = try #require(current.value(0, metric).double) * scale
            let expectedBefore = try #require(previous.value(0, metric).double) * scale
            #expect(same(values.number("B\(row)"), expectedNow), "\(label) this period")
            #expect(same(values.number("C\(row)"), expectedBefore), "\(label) previous period")
            // Rates are fractions; their changes are percentage points.
            let change = (expectedNow - expectedBefore) * (scale == 1 ? 1 : 100)
            #expect(same(values.number("D\(row)"), change), "\(label) change")
            if scale == 1 && expectedBefore != 0 {
                #expect(same(values.number("E\(row)"), (expectedNow - expectedBefore) / expectedBefore), "\(label) 环比")
            } else {
                #expect(values["E\(row)"] == nil, "\(label) has no 环比")
            }
        }
        #expect(values.text("A1") == "精益提案统计报告 · 2025年11月")
        #expect(values.text("A2")?.contains("数据截至 2025-11-30 21:53（Asia/Shanghai）") == true)
        #expect(values.text("A2")?.contains("对比上期 2025年10月") == true)
    }

    @Test func departmentRowsEqualByDept() throws {
        let values = try package.values("部门统计")
        let result = try run("by dept count,passed,pass_rate,participants 2025-11")
        let total = try #require(try run("overview 2025-11").value(0, "count").double)
        #expect(values.filledRows(in: "A", from: 5) == result.rows.count)
        for index in result.rows.indices {
            let row = 5 + index
            #expect(values.text("A\(row)") == result.value(index, "dept").string)
            #expect(same(values.number("B\(row)"), result.value(index, "count").double))
            #expect(same(values.number("C\(row)"), result.value(index, "count").double.map { $0 / total }))
            #expect(same(values.number("D\(row)"), result.value(index, "passed").double))
            #expect(same(values.number("E\(row)"), result.value(index, "pass_rate").double.map { $0 / 100 }))
            #expect(same(values.number("F\(row)"), result.value(index, "participants").double))
        }
        let october = try run("by dept count 2025-10")
        let production = try #require(values.row(labeled: "生产部"))
        let previous = october.rows.indices.first { october.value($0, "dept").string == "生产部" }
        #expect(same(values.number("H\(production)"), previous.flatMap { october.value($0, "count").double }))
    }

    @Test func categoryRowsEqualByCategory() throws {
        let values = try package.values("提案类别统计")
        let result = try run("by category count,passed,pass_rate,avg_days 2025-11")
        #expect(values.filledRows(in: "A", from: 5) == result.rows.count)
        for index in result.rows.indices {
            let row = 5 + index
            #expect(values.text("A\(row)") == result.value(index, "category").string)
            #expect(same(values.number("B\(row)"), result.value(index, "count").double))
            #expect(same(values.number("D\(row)"), result.value(index, "passed").double))
            #expect(same(values.number("E\(row)"), result.value(index, "pass_rate").double.map { $0 / 100 }))
            #expect(same(values.number("G\(row)"), result.value(index, "avg_days").double))
        }
    }

    @Test func theRankingEqualsTopTen() throws {
        let values = try package.values("个人排行榜")
        let result = try run("top 10 2025-11")
        #expect(values.filledRows(in: "B", from: 5) == result.rows.count)
        for index in result.rows.indices {
            let row = 5 + index
            #expect(values.text("B\(row)") == result.value(index, "user").string)
            #expect(values.text("C\(row)") == result.value(index, "user_id").string)
            #expect(values.text("D\(row)") == result.value(index, "dept").string)
            #expect(same(values.number("E\(row)"), result.value(index, "count").double))
            #expect(same(values.number("G\(row)"), result.value(index, "pass_rate").double.map { $0 / 100 }))
        }
        #expect(values.number("A5") == 1)
    }

    @Test func efficiencyRowsEqualByDeptProcessingTimes() throws {
        let values = try package.values("处理效率分析")
        let result = try run("by dept completed,avg_days,min_days,max_days,within30_rate 2025-11")
        for index in result.rows.indices {
            let row = 5 + index
            #expect(values.text("A\(row)") == result.value(index, "dept").string)
            #expect(same(values.number("C\(row)"), result.value(index, "completed").double))
            #expect(same(values.number("D\(row)"), result.value(index, "avg_days").double))
            #expect(same(values.number("E\(row)"), result.value(index, "min_days").double))
            #expect(same(values.number("F\(row)"), result.value(index, "max_days").double))
            let completed = result.value(index, "completed").double ?? 0
            #expect(
                same(
                    values.number("H\(row)"),
                    completed == 0 ? nil : result.value(index, "within30_rate").double.map { $0 / 100 }
                )
            )
        }
        let overall = try run("efficiency 2025-11")
        let averageRow = try #require(values.row(labeled: "平均处理天数", in: "J"))
        #expect(same(values.number("K\(averageRow)"), overall.value(0, "avg_days").double))
        let statusRow = try #require(values.row(labeled: "已完成", in: "J"))
        let statuses = try run("by status count 2025-11")
        let completed = statuses.rows.indices.first { statuses.value($0, "status").string == "COMPLETED" }
        #expect(same(values.number("K\(statusRow)"), completed.flatMap { statuses.value($0, "count").double }))
    }

    @Test func theTrendEqualsTheTwelveMonthsByMonthWithMonthsAsExcelDates() throws {
        let values = try package.values("月度趋势")
        let result = try run("trend 2024-12..2025-11")
        #expect(result.rows.count == 12)
        for index in 0..<12 {
            let row = 5 + index
            let month = try #require(result.value(index, "month").string)
            let first = CivilDate(year: Int(month.prefix(4))!, month: Int(month.suffix(2))!, day: 1)
            #expect(values.number("A\(row)") == excelSerial(first))
            #expect(same(values.number("B\(row)"), result.value(index, "count").double))
            #expect(same(values.number("C\(row)"), result.value(index, "passed").double))
            #expect(same(values.number("E\(row)"), result.value(index, "participants").double))
        }
    }

    @Test func detailsListEveryInstanceWithTimesAsExcelDates() throws {
        let values = try package.values("明细")
        let content = try ReportFixture.content("2025-11")
        #expect(values.filledRows(in: "I", from: 5) == content.current.count)
        let clock = ReportFixture.clock
        for (index, detail) in content.details.enumerated() {
            let row = 5 + index
            #expect(values.text("A\(row)") == detail.businessId)
            #expect(values.text("B\(row)") == detail.title)
            #expect(values.text("E\(row)") == detail.deptName)
            #expect(values.text("F\(row)") == detail.category)
            let created = Double(detail.createTime + clock.offset(at: detail.createTime)) / 86_400 + 25_569
            #expect(same(values.number("I\(row)"), created))
            #expect(same(values.number("K\(row)"), detail.days.map(Double.init)))
        }
        // 2025-11-01 local midnight is serial 45962 exactly; every creation time lies within the month.
        let serials = (5..<(5 + content.details.count)).compactMap { values.number("I\($0)") }
        #expect(serials.allSatisfy { $0 >= 45_962 && $0 < 45_992 })
    }

    @Test func textThatLooksLikeAFormulaIsStoredAsPlainText() throws {
        let cells = try package.cells("明细")
        let values = try package.values("明细")
        for (index, title) in ReportFixture.hostileTitles.enumerated() {
            let row = try #require(values.row(labeled: title, in: "B"), "title \(title) is missing")
            #expect(cells["B\(row)"]?.type == "s")
            #expect(cells["B\(row)"]?.formula == nil)
            #expect(values.text("F\(row)") == ReportFixture.hostileCategories[index])
            #expect(values.text("E\(row)") == ReportFixture.hostileDept)
            #expect(values.text("A\(row)") == "-\(index)+1")
        }
        let categories = try package.values("提案类别统计")
        for category in ReportFixture.hostileCategories {
            #expect(categories.row(labeled: category) != nil)
        }
        #expect(try package.values("部门统计").row(labeled: ReportFixture.hostileDept) != nil)
    }

    @Test func aDepartmentPackHoldsOnlyThatDepartment() throws {
        let package = try XLSXPackage(path: try ReportFixture.write("2025-11", dept: "质量部"))
        let overview = try package.values("总体概览")
        let expected = try run("overview 2025-11 where dept=质量部")
        let row = try #require(overview.row(labeled: "提案数"))
        #expect(same(overview.number("B\(row)"), expected.value(0, "count").double))
        #expect(overview.text("A1") == "精益提案统计报告 · 质量部 · 2025年11月")
        let departments = try package.values("部门统计")
        #expect(departments.filledRows(in: "A", from: 5) == 1)
        #expect(departments.text("A5") == "质量部")
        let details = try package.values("明细")
        let rows = details.filledRows(in: "I", from: 5)
        #expect(Double(rows) == expected.value(0, "count").double)
        #expect((5..<(5 + rows)).allSatisfy { details.text("E\($0)") == "质量部" })
        let trend = try run("trend 2024-12..2025-11 where dept=质量部")
        let months = try package.values("月度趋势")
        #expect(same(months.number("B16"), trend.value(trend.rows.count - 1, "count").double))
    }

    @Test func aPeriodWithoutInstancesStillGivesACompleteWorkbook() throws {
        let path = try ReportFixture.write("2030-01")
        let package = try XLSXPackage(path: path)
        #expect(try package.sheetNames() == ReportWriter.sheetNames)
        let overview = try package.values("总体概览")
        let row = try #require(overview.row(labeled: "提案数"))
        #expect(overview.number("B\(row)") == 0)
        #expect(overview.text("A3") == "本期没有提案。上期（2029年12月）共 0 件。")
        #expect(try package.values("部门统计").text("A5") == "本期无数据")
        #expect(try package.values("明细").text("A5") == "本期无数据")
        #expect(try package.charts(on: "部门统计").isEmpty)
        #expect(try package.charts(on: "月度趋势").count == 1)
    }

    @Test(arguments: ["2025-Q4", "2025"])
    func quarterAndYearReportsCompareWithThePeriodBefore(period: String) throws {
        let package = try XLSXPackage(path: try ReportFixture.write(period))
        let values = try package.values("总体概览")
        let previous = period == "2025" ? "2024" : "2025-Q3"
        let row = try #require(values.row(labeled: "提案数"))
        #expect(same(values.number("B\(row)"), try run("overview \(period)").value(0, "count").double))
        #expect(same(values.number("C\(row)"), try run("overview \(previous)").value(0, "count").double))
        let months = try package.values("月度趋势")
        #expect(months.number("A16") == excelSerial(CivilDate(year: 2025, month: 12, day: 1)))
    }
}
