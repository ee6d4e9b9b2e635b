import Foundation
import LeanStatsCore
import LeanStatsImport
import LeanStatsQuery
import LeanStatsReport
import LeanStatsTestSupport

/// The data the report tests share: the bundled sample in `Data/` plus a few instances whose text looks like
/// spreadsheet formulas, all in Asia/Shanghai.
enum ReportFixture {
    /// The zone of the sample.
    static let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    /// Text a spreadsheet would run as a formula if it were written as one.
    static let hostileTitles = ["=HYPERLINK(\"http://example.com\",\"点我\")", "+SUM(A1:A9)", "@cmd|' /C calc'!A0"]
    /// Categories that look like formulas.
    static let hostileCategories = ["=1+1", "-减少浪费", "@提案"]
    /// A department name that looks like a formula.
    static let hostileDept = "+改善办"
    /// A proposer name that looks like a formula.
    static let hostileName = "=李四"

    /// The instances added to the sample, in November 2025.
    static var hostileRecords: [InstanceRecord] {
        (0..<3).map { index in
            let create = clock.parseLocal("2025-11-1\(index + 4) 10:0\(index):00")!
            return InstanceRecord(
                instanceId: "HOSTILE-\(index)",
                businessId: "-\(index)+1",
                title: hostileTitles[index],
                createTime: create,
                finishTime: index == 2 ? nil : create + 86_400 * Int64(3 + index),
                status: index == 2 ? .running : .completed,
                result: index == 2 ? nil : .agree,
                originatorUserId: "hostile-\(index)",
                originatorUserName: index == 1 ? hostileName : "@张三",
                originatorDeptId: "990",
                originatorDeptName: hostileDept,
                formFields: [FormField(name: categoryFieldName, value: hostileCategories[index])]
            )
        }
    }

    /// The sample with the hostile instances.
    static let engine: StatisticsEngine = {
        let root = LeanStats.repositoryRoot + "/Data/"
        let batch = try! ImportReader(clock: clock).read(paths: [
            root + MySQLExport.instancesFile, root + MySQLExport.formValuesFile,
        ])
        var builder = InstanceTableBuilder()
        for record in batch.records + hostileRecords { builder.upsert(record) }
        return StatisticsEngine(table: builder.build(), clock: clock)
    }()

    /// The query language over the same data, for cross-checks.
    static var executor: QueryExecutor { QueryExecutor(engine: engine) }

    /// The report content of a period.
    static func content(_ period: String, dept: String? = nil, top: Int = 10) throws(ReportError) -> ReportContent {
        let request = try ReportRequest(
            period: try ReportPeriod(parsing: period, today: CivilDate(year: 2025, month: 12, day: 5)),
            deptName: dept,
            topCount: top
        )
        return try ReportContent(engine: engine, request: request)
    }

    /// Writes a report into a fresh directory and returns the file's path.
    static func write(
        _ period: String,
        dept: String? = nil,
        top: Int = 10,
        name: String = "report.xlsx"
    ) throws
        -> String
    {
        let directory = try TemporaryDirectory(prefix: "leanstats-report")
        let path = directory.file(name)
        try ReportWriter().write(try content(period, dept: dept, top: top), to: path)
        return path
    }

    /// The November 2025 workbook, written once per test run.
    static let november: Result<(path: String, package: XLSXPackage), any Error> = Result {
        let path = try write("2025-11")
        return (path, try XLSXPackage(path: path))
    }
}
