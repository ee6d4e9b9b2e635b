import Foundation
import LeanStatsCore
import Testing

@testable import LeanStatsQuery

/// Byte noise and numeric extremes never crash the parser or, once parsed, the executor: a line parses or throws
/// a ``QueryError``, and a parsed query runs.
struct QueryFuzzTests {
    /// Words with extreme numbers where the grammar expects counts, years and days.
    static let extremes = [
        "top 0", "top -1", "top 9223372036854775807", "top 9223372036854775808", "top 99999999999999999999",
        "limit 9223372036854775807", "limit 0", "0000", "0000-01", "9999-12", "9999-Q4", "9999-12-31",
        "0000-01-01..9999-12-31", "9999..0000", "2025-00", "2025-Q0", "2025-02-30", "last 100000d", "last 100001d",
        "last 100000m", "last 0d", "last 9223372036854775807d", "vs yoy", "vs prev", "vs 0000", "vs 9999-12-31",
    ]

    /// A tiny store to run accepted queries on.
    static let executor: QueryExecutor = {
        var builder = InstanceTableBuilder()
        let clock = try! ZoneClock(identifier: "Asia/Shanghai")
        for index in 0..<40 {
            builder.upsert(
                InstanceRecord(
                    instanceId: "i\(index)",
                    createTime: 1_700_000_000 + Int64(index) * 86_400 * 9,
                    finishTime: index % 3 == 0 ? 1_700_000_000 + Int64(index) * 86_400 * 10 : nil,
                    status: index % 3 == 0 ? .completed : .running,
                    result: index % 3 == 0 ? .agree : nil,
                    originatorUserId: "u\(index % 5)",
                    originatorUserName: "用户\(index % 5)",
                    originatorDeptId: "d\(index % 2)",
                    originatorDeptName: index % 2 == 0 ? "生产部" : "质量部",
                    formFields: [FormField(name: "预计收益(元)", value: "\(index * 1000)")]
                )
            )
        }
        let engine = StatisticsEngine(table: builder.build(), clock: clock)
        return QueryExecutor(engine: engine, today: CivilDate(year: 2025, month: 11, day: 3))
    }()

    /// Parses and, when accepted, runs a line. The typed throw means any error is a ``QueryError``.
    static func parseAndRun(_ line: String) -> Bool {
        do {
            _ = try executor.run(line)
            return true
        } catch {
            #expect(!error.description.isEmpty)
            return false
        }
    }

    @Test func randomBytesEitherParseOrThrowAQueryError() {
        var random = SeededGenerator(seed: 0xB17E5)
        for _ in 0..<3000 {
            let count = Int.random(in: 0...40, using: &random)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = Self.parseAndRun(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func queriesWithExtremeNumbersParseOrThrowAndRunWhenAccepted() {
        var generator = QueryGenerator(random: SeededGenerator(seed: 31_337))
        var accepted = 0
        for _ in 0..<3000 {
            var words = generator.query().description.split(separator: " ").map(String.init)
            for _ in 0..<generator.int(1...3) {
                let extreme = generator.pick(Self.extremes)
                words.insert(
                    contentsOf: extreme.split(separator: " ").map(String.init),
                    at: generator.int(0...words.count)
                )
            }
            if Self.parseAndRun(words.joined(separator: " ")) { accepted += 1 }
        }
        for prefix in ["overview", "by dept count,benefit_sum", "top 3", "efficiency", "trend", "list"] {
            for extreme in Self.extremes where Self.parseAndRun("\(prefix) \(extreme)") { accepted += 1 }
        }
        #expect(accepted > 50)
    }

    @Test func randomTokenSequencesWithNoiseBytesParseOrThrow() {
        var generator = QueryGenerator(random: SeededGenerator(seed: 8_675_309))
        for _ in 0..<3000 {
            var line = Array(generator.tokenSoup().utf8)
            for _ in 0..<generator.int(0...3) where !line.isEmpty {
                line[generator.int(0...(line.count - 1))] = UInt8(truncatingIfNeeded: generator.int(0...255))
            }
            _ = Self.parseAndRun(String(decoding: line, as: UTF8.self))
        }
    }
}
