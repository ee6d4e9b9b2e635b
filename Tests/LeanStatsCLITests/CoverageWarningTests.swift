import Foundation
import LeanStatsTestSupport
import Testing

/// Answers the data cannot fully support say so on stderr, and stdout stays the plain result.
@Suite(.serialized)
struct CoverageWarningTests {
    /// The bundled sample starts on 2024-12-01 and ends on 2025-11-30.
    static let partlyCovered =
        "warning: the comparison period prev (2024-01-01..2024-12-31) is only partly covered: the data covers "
        + "2024-12-01..2025-11-30 by creation time, so the changes compare a shorter span with a longer one\n"

    @Test func queryPrintsAWarningForAComparisonWithAYearHoldingOneMonth() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let result = try LeanStats.run(["query", "--data", store.path, "--format", "csv", "overview 2025 vs prev"])
        #expect(result.status == 0)
        #expect(result.stderr == Self.partlyCovered)
        #expect(result.stdout.hasPrefix("count,count_prev,count_change,count_change_pct,"))
        let inside = try LeanStats.run(["query", "--data", store.path, "overview 2025-11 vs prev"])
        #expect(inside.stderr == "")
    }

    @Test func theREPLPrintsTheWarningAfterTheResultOfEachQuery() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let result = try store.repl("overview 2025 vs prev\noverview 2026-01\n", options: ["--format", "csv"])
        #expect(result.status == 0)
        #expect(
            result.stderr
                == Self.partlyCovered
                + "warning: no instances in 2026-01 (2026-01-01..2026-01-31): the data covers 2024-12-01..2025-11-30 "
                + "by creation time\n"
        )
    }

    @Test func aReportOfAMonthWithoutInstancesIsWrittenWithAWarning() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let out = store.directory.file("empty.xlsx")
        let result = try LeanStats.run(["report", "--data", store.path, "2026-01", "--out", out])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: out))
        #expect(
            result.stderr
                == "leanstats report: warning: no instances in 2026-01 (2026-01-01..2026-01-31): the data covers "
                + "2024-12-01..2025-11-30 by creation time; the workbook shows zeros and leaves rates empty\n"
        )
    }
}
