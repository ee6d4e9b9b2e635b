import Foundation
import LeanStatsReport
import LeanStatsTestSupport
import Testing

/// `leanstats report` end to end, through the built executable.
struct ReportCommandTests {
    static let built = FileManager.default.isExecutableFile(atPath: LeanStats.executable)

    @Test(.enabled(if: built, "the leanstats executable is not built"))
    func writesTheWorkbookOfAMonthFromAnImportedStore() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = directory.file("store")
        let imported = try LeanStats.run(
            ["import", "--data", store, "Data/ding_process_instances.csv", "Data/ding_form_component_values.csv"]
        )
        try #require(imported.status == 0, "\(imported.stderr)")
        let out = directory.file("report-2025-11.xlsx")
        let result = try LeanStats.run(["report", "--data", store, "--top", "5", "2025-11", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "wrote the 2025-11 report (234 instances, 8 sheets) to \(out)\n")
        let package = try XLSXPackage(path: out)
        #expect(try package.sheetNames() == ReportWriter.sheetNames)
        #expect(try package.values("个人排行榜").filledRows(in: "B", from: 5) == 5)

        let pack = directory.file("quality.xlsx")
        let department = try LeanStats.run(["report", "--data", store, "2025-Q4", "--dept", "质量部", "--out", pack])
        #expect(department.status == 0, "\(department.stderr)")
        #expect(try XLSXPackage(path: pack).values("部门统计").text("A5") == "质量部")
    }

    @Test(.enabled(if: built, "the leanstats executable is not built"))
    func anUnwritableOutputFailsBeforeTheStoreIsRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The store is empty: reaching it would fail with "no data", so this error proves --out is checked first.
        let result = try LeanStats.run(
            ["report", "--data", directory.file("empty"), "2025-11", "--out", "/nonexistent-leanstats/r.xlsx"]
        )
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "leanstats: report error: the output directory /nonexistent-leanstats does not exist "
                + "(/nonexistent-leanstats/r.xlsx); create it first or choose another --out\n"
        )
    }

    @Test(.enabled(if: built, "the leanstats executable is not built"))
    func aWrongPeriodOrDepartmentIsOneLineOnStderr() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let period = try LeanStats.run(["report", "2025-11-03", "--out", directory.file("r.xlsx")])
        #expect(period.status == 1)
        #expect(
            period.stderr
                == "leanstats: report error: a report covers a month, a quarter, a half-year, a year or a range, not the "
                + "day 2025-11-03; write 2025-11 for its month, or 2025-11-03..2025-11-03 for the day alone\n"
        )
        let store = directory.file("store")
        _ = try LeanStats.run(["import", "--data", store, "Data/ding_process_instances.csv"])
        let dept = try LeanStats.run([
            "report", "--data", store, "2025-11", "--dept", "品质部", "--out", directory.file("r.xlsx"),
        ])
        #expect(dept.status == 1)
        #expect(
            dept.stderr.hasPrefix(
                "leanstats: report error: no instance in the store has the department '品质部'; known departments: "
            )
        )
        #expect(!FileManager.default.fileExists(atPath: directory.file("r.xlsx")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["store"])
    }

    @Test(.enabled(if: built, "the leanstats executable is not built"))
    func noDetailsWritesTheWorkbookWithoutTheDetailsSheet() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = directory.file("store")
        let imported = try LeanStats.run(
            ["import", "--data", store, "Data/ding_process_instances.csv", "Data/ding_form_component_values.csv"]
        )
        try #require(imported.status == 0, "\(imported.stderr)")
        let out = directory.file("report-2025.xlsx")
        let result = try LeanStats.run(["report", "--data", store, "2025", "--no-details", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "wrote the 2025 report (2205 instances, 7 sheets) to \(out)\n")
        #expect(try XLSXPackage(path: out).sheetNames() == ReportWriter.sheetNames.filter { $0 != "明细" })
    }
}
