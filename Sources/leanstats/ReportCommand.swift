import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport

/// `leanstats report PERIOD --out FILE.xlsx`: the Excel workbook for a month, quarter, half-year, year or range.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the Excel report (总体概览, 部门统计, …, 明细, 口径说明) for a month, quarter, half-year, year or range.",
        discussion: """
            PERIOD is a month (2025-11), a quarter (2025-Q4) or a year (2025); last-month, last-quarter, \
            last-year, this-month, this-quarter and this-year count from today in --tz.

            --dept writes a workbook of one department only; --no-details leaves the 明细 sheet out. The same \
            data always gives a byte-identical file.

            Example: leanstats report 2025-11 --out report-2025-11.xlsx
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "The workbook to write (.xlsx); an existing file is replaced.")
    var out: String

    @Option(name: .long, help: "Report on this department only (its name as in the data).")
    var dept: String?

    @Option(name: .long, help: "How many proposers the ranking lists.")
    var top: Int = ReportRequest.defaultTopCount

    @Flag(name: .long, help: "Leave the 明细 sheet (one row per instance) out, e.g. for the year of a large company.")
    var noDetails = false

    @Argument(
        help: "The period: 2025-11, 2025-Q4, 2025-H1, 2025, 2025-01..2025-06, 2025-11-01..2025-11-15 or last-month."
    )
    var period: String

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be 1 or more") }
        if let dept, dept.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--dept must name a department")
        }
    }

    func run() throws {
        try reportingErrors {
            let clock = try store.clock()
            let reportPeriod = try ReportPeriod(parsing: period, today: CivilDate.today(in: clock))
            let request = try ReportRequest(
                period: reportPeriod,
                deptName: dept,
                topCount: top,
                includesDetails: !noDetails
            )
            // Check the output before loading anything, so a bad --out fails at once.
            let destination = try ReportDestination(path: out)
            let content = try ReportContent(engine: try store.engine(), request: request)
            try ReportWriter().write(content, to: destination)
            for warning in content.warnings { printError("leanstats report: warning: \(warning)") }
            let scope = dept.map { " for \($0)" } ?? ""
            print(
                "wrote the \(reportPeriod) report\(scope) (\(content.current.count) instances, "
                    + "\(content.sheetNames.count) sheets) to \(out)"
            )
        }
    }
}
