import Foundation
import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsReport

struct ReportErrorTests {
    @Test func anOutputInAMissingDirectoryFailsBeforeAnyWork() throws {
        do {
            _ = try ReportDestination(path: "/nonexistent-leanstats/report.xlsx")
            Issue.record("a missing directory was accepted")
        } catch {
            #expect(error.code == .unwritableOutput)
            #expect(
                error.description
                    == "report error: the output directory /nonexistent-leanstats does not exist "
                    + "(/nonexistent-leanstats/report.xlsx); create it first or choose another --out"
            )
        }
    }

    @Test func anOutputThatIsADirectoryOrNotAnXlsxIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("dir.xlsx"), withIntermediateDirectories: true)
        for (path, message) in [
            (directory.file("dir.xlsx"), "the output path is a directory"),
            (directory.file("report.csv"), "the output file must end in .xlsx"),
            ("", "the output path is empty"),
        ] {
            do {
                _ = try ReportDestination(path: path)
                Issue.record("\(path) was accepted")
            } catch {
                #expect(error.code == .unwritableOutput)
                #expect(error.message == message)
            }
        }
    }

    @Test func aFailedReportLeavesTheTargetAloneAndNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let target = directory.file("report.xlsx")
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        do {
            let destination = try ReportDestination(path: target)
            #expect(FileManager.default.fileExists(atPath: destination.temporaryPath))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report.xlsx"])
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "old")
    }

    @Test func aCellThatCannotBeWrittenIsNamedBySheetAndCell() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let workbook = try Workbook(path: directory.file("cells.xlsx"), fontName: "等线")
        let sheet = try workbook.addWorksheet(named: "明细")
        do {
            try sheet.writeText(String(repeating: "长", count: 40_000), row: 4, column: 1, format: nil)
            Issue.record("an over-long text was accepted")
        } catch {
            #expect(error.code == .cellWriteFailed)
            #expect(error.sheet == "明细")
            #expect(error.cell == "B5")
            #expect(error.libraryStatus != nil)
            #expect(error.description.hasPrefix("report error: cannot write cell 明细!B5: "))
            #expect(error.description.hasSuffix("; shorten the text"))
        }
    }

    @Test func theReportCutsOverlongDingTalkTextInsteadOfFailing() {
        let long = String(repeating: "长", count: 40_000)
        let fitted = SheetBuilder.fitted(long)
        #expect(fitted.unicodeScalars.count == Worksheet.maxTextLength)
        #expect(fitted.hasSuffix("…"))
        #expect(SheetBuilder.fitted("短") == "短")
    }

    @Test func aBadSheetNameIsATypedError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let workbook = try Workbook(path: directory.file("names.xlsx"), fontName: "等线")
        do {
            _ = try workbook.addWorksheet(named: "部门/统计")
            Issue.record("a sheet name with a slash was accepted")
        } catch {
            #expect(error.code == .sheetCreationFailed)
            #expect(error.sheet == "部门/统计")
        }
    }

    @Test func aWorkbookThatCannotBeSavedNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("gone/report.xlsx")
        let workbook = try Workbook(path: path, fontName: "等线")
        _ = try workbook.addWorksheet(named: "总体概览")
        do {
            try workbook.close()
            Issue.record("saving into a missing directory succeeded")
        } catch {
            #expect(error.code == .workbookFailed)
            #expect(error.path == path)
            #expect(error.description.contains("check that the directory exists and that you may write to it"))
        }
        try workbook.close()  // closing again does nothing
        directory.remove()
    }

    @Test func aRankingOfNoOneIsRefused() throws {
        let period = try ReportPeriod(parsing: "2025-11", today: CivilDate(year: 2025, month: 12, day: 1))
        #expect(throws: ReportError.self) { try ReportRequest(period: period, topCount: 0) }
    }
}
