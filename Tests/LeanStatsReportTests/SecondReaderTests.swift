import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport
import LeanStatsTestSupport
import Testing

/// Opens the workbook with other programs: openpyxl (a second xlsx reader) and LibreOffice (a renderer).
/// Each test is skipped, with the reason printed, when its program is not installed.
struct SecondReaderTests {
    /// Runs a program found on PATH and returns its exit status and output.
    static func run(_ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Whether a command exits with status 0.
    static func succeeds(_ arguments: [String]) -> Bool {
        (try? run(arguments).status) == 0
    }

    static let hasOpenpyxl = succeeds(["python3", "-c", "import openpyxl"])
    static let hasLibreOffice = succeeds(["sh", "-c", "command -v libreoffice"])

    static let openpyxlScript = #"""
        import json, sys
        import openpyxl
        book = openpyxl.load_workbook(sys.argv[1])
        out = {"sheets": book.sheetnames, "sheet": {}}
        for sheet in book.worksheets:
            setup = sheet.page_setup
            formulas = sum(1 for row in sheet.iter_rows() for cell in row if cell.data_type == "f")
            out["sheet"][sheet.title] = {
                "freeze": sheet.freeze_panes, "filter": sheet.auto_filter.ref, "orientation": setup.orientation,
                "paper": str(setup.paperSize), "titles": sheet.print_title_rows, "formulas": formulas,
            }
        sheet = book["部门统计"]
        out["departments"] = [
            [sheet.cell(r, 1).value, sheet.cell(r, 2).value, sheet.cell(r, 2).number_format,
             sheet.cell(r, 5).value, sheet.cell(r, 5).number_format]
            for r in range(5, sheet.max_row + 1) if sheet.cell(r, 1).value is not None]
        sheet = book["明细"]
        out["details"] = [
            [sheet.cell(r, 2).value, sheet.cell(r, 2).data_type,
             sheet.cell(r, 9).value.isoformat(sep=" ") if sheet.cell(r, 9).value else None, sheet.cell(r, 9).number_format]
            for r in range(5, sheet.max_row + 1)]
        print(json.dumps(out, ensure_ascii=False))
        """#

    @Test(.enabled(if: hasOpenpyxl, "python3 with openpyxl is not installed (pip install openpyxl)"))
    func openpyxlReadsTheSameSheetsNumbersAndFormats() throws {
        let (path, _) = try ReportFixture.november.get()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let script = try directory.write("read.py", Self.openpyxlScript)
        // Any warning (an unknown extension, a bad style) fails the read: the workbook must open cleanly.
        let (status, output) = try Self.run(["python3", "-W", "error", script, path])
        try #require(status == 0, "openpyxl failed: \(output)")
        let json = try #require(output.split(separator: "\n").last.map { Data($0.utf8) })
        let result = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])

        #expect(result["sheets"] as? [String] == ReportWriter.sheetNames)
        let sheets = try #require(result["sheet"] as? [String: [String: Any]])
        for name in ReportWriter.sheetNames {
            let sheet = try #require(sheets[name])
            #expect(sheet["freeze"] as? String == (name == "总体概览" ? "A6" : "A5"), "\(name)")
            #expect(sheet["orientation"] as? String == "landscape", "\(name)")
            #expect(sheet["paper"] as? String == "9", "\(name)")
            #expect(sheet["formulas"] as? Int == 0, "\(name)")
            #expect((sheet["titles"] as? String)?.hasPrefix(name == "总体概览" ? "$5" : "$4") == true, "\(name)")
        }
        #expect(sheets["部门统计"]?["filter"] as? String == "A4:J19")

        let expected = try ReportFixture.executor.run("by dept count,pass_rate 2025-11")
        let departments = try #require(result["departments"] as? [[Any]])
        #expect(departments.count == expected.rows.count)
        for (index, row) in departments.enumerated() {
            #expect(row[0] as? String == expected.value(index, "dept").string)
            #expect(same((row[1] as? NSNumber)?.doubleValue, expected.value(index, "count").double))
            #expect(row[2] as? String == "#,##0")
            #expect(
                same((row[3] as? NSNumber)?.doubleValue, expected.value(index, "pass_rate").double.map { $0 / 100 })
            )
            #expect(row[4] as? String == "0.0%")
        }

        let content = try ReportFixture.content("2025-11")
        let details = try #require(result["details"] as? [[Any]])
        #expect(details.count == content.details.count)
        for (row, detail) in zip(details, content.details) {
            #expect(row[0] as? String == detail.title)
            #expect(row[1] as? String == "s")
            #expect(row[2] as? String == ReportFixture.clock.format(detail.createTime))
            #expect(row[3] as? String == "yyyy-mm-dd hh:mm")
        }
    }

    @Test(
        .enabled(if: hasLibreOffice, "LibreOffice is not installed (apt-get install libreoffice-calc fonts-noto-cjk)"),
        .timeLimit(.minutes(3))
    )
    func libreOfficeRendersTheWorkbookAsAPrintableReport() throws {
        let (path, _) = try ReportFixture.november.get()
        let directory = try TemporaryDirectory(prefix: "leanstats-render")
        defer { directory.remove() }
        let workbook = directory.file("report-2025-11.xlsx")
        try FileManager.default.copyItem(atPath: path, toPath: workbook)
        let (status, output) = try Self.run(
            [
                "libreoffice", "-env:UserInstallation=file://\(directory.path)/profile", "--headless", "--convert-to",
                "pdf", "--outdir", directory.path, workbook,
            ],
            in: directory.path
        )
        let pdf = directory.file("report-2025-11.pdf")
        try #require(status == 0 && FileManager.default.fileExists(atPath: pdf), "LibreOffice failed: \(output)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: pdf))
        #expect(bytes.starts(with: Data("%PDF".utf8)))

        if Self.succeeds(["sh", "-c", "command -v pdftotext"]) {
            let (_, text) = try Self.run(["pdftotext", "-layout", pdf, "-"])
            #expect(text.contains("精益提案统计报告 · 2025年11月"))
            #expect(text.contains("第 1 页，共"))
            for sheet in ReportWriter.sheetNames.dropFirst() {
                #expect(text.contains(sheet), "\(sheet) is not printed")
            }
        } else {
            print("skipped the text check of the PDF: pdftotext is not installed (apt-get install poppler-utils)")
        }
    }
}
