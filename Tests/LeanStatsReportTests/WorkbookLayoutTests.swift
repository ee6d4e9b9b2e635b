import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport
import Testing

/// The workbook's structure, read from its XML parts: sheets, formats, panes, filters, charts, printing.
struct WorkbookLayoutTests {
    let package: XLSXPackage

    init() throws {
        package = try ReportFixture.november.get().package
    }

    /// The sheets with a filtered list, and the columns of that list.
    static let listSheets: [(sheet: String, lastColumn: String)] = [
        ("部门统计", "J"), ("提案类别统计", "J"), ("个人排行榜", "G"), ("处理效率分析", "H"), ("月度趋势", "H"), ("明细", "L"),
    ]

    @Test func theSheetsComeInTheOrderManagersKnow() throws {
        #expect(
            try package.sheetNames() == ["总体概览", "部门统计", "提案类别统计", "个人排行榜", "处理效率分析", "月度趋势", "明细", "口径说明"]
        )
    }

    @Test func numbersCarryTheirFormats() throws {
        let formats = try package.numberFormats()
        let expected: [String: String] = [
            "提案数": "#,##0", "通过数": "#,##0", "参与人数": "#,##0", "占比": "0.0%", "通过率": "0.0%", "30天内完成率": "0.0%",
            "平均处理天数": "0.0", "人均提案数": "0.0", "最短天数": "0", "处理天数": "0", "月份": "yyyy-mm",
            "创建时间": "yyyy-mm-dd hh:mm", "完成时间": "yyyy-mm-dd hh:mm", "增减": "+#,##0;-#,##0;0",
        ]
        var checked = 0
        for (sheet, _) in Self.listSheets {
            let cells = try package.cells(sheet)
            for (title, column) in try package.values(sheet).headers(row: 4) {
                guard let format = expected[title] else { continue }
                // The first row whose cell holds a value (completion times are blank while running).
                let row = (5..<200).first { cells["\(column)\($0)"]?.rawValue != nil }
                let cell = try #require(row.flatMap { cells["\(column)\($0)"] }, "\(sheet) \(title)")
                #expect(cell.type == nil || cell.type == "n", "\(sheet) \(title) is a number")
                #expect(formats[cell.style] == format, "\(sheet) \(title)")
                checked += 1
            }
        }
        #expect(checked >= 30)
        let overview = try package.values("总体概览")
        let overviewCells = try package.cells("总体概览")
        let rateRow = try #require(overview.row(labeled: "通过率"))
        #expect(formats[overviewCells["B\(rateRow)"]!.style] == "0.0%")
        #expect(formats[overviewCells["D\(rateRow)"]!.style] == "+0.0\"个百分点\";-0.0\"个百分点\";0.0\"个百分点\"")
        let countRow = try #require(overview.row(labeled: "提案数"))
        #expect(formats[overviewCells["E\(countRow)"]!.style] == "+0.0%;-0.0%;0.0%")
        let daysRow = try #require(overview.row(labeled: "平均处理天数"))
        #expect(formats[overviewCells["B\(daysRow)"]!.style] == "0.0")
    }

    @Test func everyNumberBelowAHeaderHasANumberFormat() throws {
        let formats = try package.numberFormats()
        for sheet in ReportWriter.sheetNames {
            for (reference, cell) in try package.cells(sheet) where cell.rawValue != nil && cell.type == nil {
                #expect(formats[cell.style] != "General", "\(sheet)!\(reference) has no number format")
            }
        }
    }

    @Test func theHeaderRowIsFrozenOnEverySheet() throws {
        for sheet in ReportWriter.sheetNames {
            let pane = try #require(try package.sheet(sheet).first("pane"), "\(sheet) has no pane")
            let headerRow = sheet == "总体概览" ? 5 : 4
            #expect(pane["state"] == "frozen", "\(sheet)")
            #expect(pane["ySplit"] == String(headerRow), "\(sheet)")
            #expect(pane["topLeftCell"] == "A\(headerRow + 1)", "\(sheet)")
        }
    }

    @Test func everyListHasAFilterOverItsWholeExtent() throws {
        for (sheet, lastColumn) in Self.listSheets {
            let values = try package.values(sheet)
            let rows = values.filledRows(in: "A", from: 5)
            let filter = try #require(try package.sheet(sheet).first("autoFilter"), "\(sheet) has no filter")
            #expect(filter["ref"] == "A4:\(lastColumn)\(4 + rows)", "\(sheet)")
        }
        #expect(try package.sheet("总体概览").first("autoFilter") == nil)
    }

    @Test func headersAreBoldOnAFill() throws {
        let styles = try package.xml("xl/styles.xml")
        let fonts = try #require(styles.first("fonts")).children("font")
        let fills = try #require(styles.first("fills")).children("fill")
        let xfs = try #require(styles.first("cellXfs")).children("xf")
        let cells = try package.cells("部门统计")
        let header = try #require(cells["A4"])
        let xf = xfs[header.style]
        #expect(fonts[Int(xf["fontId"]!)!].first("b") != nil)
        #expect(fills[Int(xf["fillId"]!)!].first("fgColor")?["rgb"] == "FF1F4E78")
    }

    @Test func everyFontIsTheChineseFont() throws {
        let fonts = try package.xml("xl/styles.xml").all("font")
        #expect(!fonts.isEmpty)
        for font in fonts {
            #expect(font.first("name")?["val"] == ReportWriter.defaultFontName)
        }
        for path in package.parts.keys where path.hasPrefix("xl/charts/") {
            let faces = try package.xml(path).all("latin").compactMap { $0["typeface"] }
            #expect(!faces.isEmpty && faces.allSatisfy { $0 == ReportWriter.defaultFontName }, "\(path)")
        }
    }

    @Test func columnWidthsFollowTheContentWithChineseCountedTwice() throws {
        func widths(_ sheet: String) throws -> [Int: Double] {
            var result: [Int: Double] = [:]
            for column in try package.sheet(sheet).all("col") {
                if let min = column["min"].flatMap(Int.init), let width = column["width"].flatMap(Double.init) {
                    result[min] = width
                }
            }
            return result
        }
        let departments = try widths("部门统计")
        let longestDept =
            try package.values("部门统计").compactMap { reference, value -> Int? in
                splitReference(reference).column == "A" && splitReference(reference).row >= 5
                    ? value.text.map(displayWidth) : nil
            }.max() ?? 0
        #expect(try #require(departments[1]) >= Double(longestDept))
        let details = try widths("明细")
        #expect(try #require(details[2]) > details[7] ?? 0, "titles are wider than statuses")
        #expect(try #require(details[9]) >= 16, "a date and time fits")
        #expect(try #require(details[1]) >= 21, "21-digit business ids fit")
    }

    @Test func printingIsA4LandscapeOnePageWideWithTheHeaderOnEveryPage() throws {
        let names = try package.xml("xl/workbook.xml").all("definedName")
        for (index, sheet) in ReportWriter.sheetNames.enumerated() {
            let xml = try package.sheet(sheet)
            let setup = try #require(xml.first("pageSetup"), "\(sheet)")
            #expect(setup["paperSize"] == "9", "\(sheet)")
            #expect(setup["orientation"] == "landscape", "\(sheet)")
            #expect((setup["fitToWidth"] ?? "1") == "1", "\(sheet)")
            #expect(setup["fitToHeight"] == (sheet == "总体概览" ? nil : "0"), "\(sheet)")
            #expect(xml.first("pageSetUpPr")?["fitToPage"] == "1", "\(sheet)")
            let titles = names.first { $0["name"] == "_xlnm.Print_Titles" && $0["localSheetId"] == String(index) }
            let row = sheet == "总体概览" ? 5 : 4
            #expect(titles?.text == "'\(sheet)'!$\(row):$\(row)", "\(sheet)")
            #expect(xml.first("oddFooter")?.text.contains("第 &P 页，共 &N 页") == true, "\(sheet)")
        }
    }

    @Test func everyChartIsWhereTheIssueAsksForIt() throws {
        func kinds(_ sheet: String) throws -> [String] {
            try package.charts(on: sheet).map { chart -> String in
                if let bar = chart.first("barChart") { return "bar:" + (bar.first("barDir")?["val"] ?? "") }
                if chart.first("lineChart") != nil { return "line" }
                if chart.first("doughnutChart") != nil || chart.first("pieChart") != nil { return "doughnut" }
                return "other"
            }.sorted()
        }
        #expect(try kinds("总体概览") == ["bar:col", "doughnut", "line"])
        #expect(try kinds("部门统计") == ["bar:col"])
        #expect(try kinds("提案类别统计") == ["doughnut"])
        #expect(try kinds("个人排行榜") == ["bar:bar"])
        #expect(try kinds("月度趋势") == ["line"])
        let ranking = try #require(try package.charts(on: "个人排行榜").first)
        let references = ranking.all("f").map(\.text)
        // The top 10 of 2025-11 lists 12 proposers: five have 4 instances, as the tenth has.
        #expect(references.contains("'个人排行榜'!$B$5:$B$16"))
        #expect(references.contains("'个人排行榜'!$E$5:$E$16"))
        let trend = try #require(try package.charts(on: "月度趋势").first)
        #expect(trend.all("f").map(\.text).contains("'月度趋势'!$A$5:$A$16"))
    }

    @Test func countsHaveDataBarsAndPassRatesAColourScale() throws {
        // The top-level rules; Excel 2010 data bars repeat themselves in an x14 extension.
        let formats = try package.sheet("部门统计").children("conditionalFormatting")
        let rules = formats.map { ($0["sqref"] ?? "", $0.children("cfRule").first?["type"] ?? "") }
        let rows = try package.values("部门统计").filledRows(in: "A", from: 5)
        #expect(rules.contains { $0 == ("B5:B\(4 + rows)", "dataBar") })
        #expect(rules.contains { $0 == ("E5:E\(4 + rows)", "colorScale") })
        let ranking = try package.sheet("个人排行榜").children("conditionalFormatting").flatMap { $0.children("cfRule") }
            .compactMap { $0["type"] }
        #expect(ranking.sorted() == ["colorScale", "dataBar"])
    }

    @Test func noCellIsAFormulaAndAllTextIsSharedText() throws {
        for sheet in ReportWriter.sheetNames {
            for (reference, cell) in try package.cells(sheet) {
                #expect(cell.formula == nil, "\(sheet)!\(reference) holds a formula")
                #expect(
                    cell.type == nil || cell.type == "s" || cell.type == "n",
                    "\(sheet)!\(reference) is \(cell.type ?? "")"
                )
            }
            #expect(try package.sheet(sheet).all("f").isEmpty)
        }
    }

    @Test func theSameDataGivesTheSameBytes() throws {
        let first = try Data(contentsOf: URL(fileURLWithPath: try ReportFixture.write("2025-11", name: "a.xlsx")))
        Thread.sleep(forTimeInterval: 1.1)
        let second = try Data(contentsOf: URL(fileURLWithPath: try ReportFixture.write("2025-11", name: "b.xlsx")))
        #expect(first == second)
        let core = try #require(package.text("docProps/core.xml"))
        #expect(core.contains("<dcterms:created xsi:type=\"dcterms:W3CDTF\">2025-11-30T13:53:07Z</dcterms:created>"))
        #expect(core.contains("<dc:title>精益提案统计报告 · 2025年11月</dc:title>"))
    }

    @Test func theDefinitionsSheetExplainsEveryFigureInChinese() throws {
        let values = try package.values("口径说明")
        let terms = (5..<40).compactMap { values.text("A\($0)") }
        for term in ["统计期间", "提案数", "通过率", "参与人数", "参与部门数", "部门统计", "提案类别统计", "个人排行榜", "处理天数", "30天内完成率", "排序"] {
            #expect(terms.contains(term), "\(term) is not explained")
        }
        let period = try #require(values.row(labeled: "统计期间"))
        #expect(values.text("B\(period)")?.contains("首尾两天都包含") == true)
    }
}
