import Benchmark
import Foundation
import LeanStatsCore

/// The six statistics over all history and over one month, on a synthetic store of
/// `LEANSTATS_BENCH_ROWS` instances (default 1M). Allocation counts are the stable figure.
let benchmarks: @Sendable () -> Void = {
    let rows = Int(ProcessInfo.processInfo.environment["LEANSTATS_BENCH_ROWS"] ?? "") ?? 1_000_000
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")
    let engine = StatisticsEngine(table: SyntheticHistory(rows: rows, seed: 42).table(clock: clock), clock: clock)
    let month = DayRange(
        from: CivilDate(year: 2025, month: 10, day: 1),
        through: CivilDate(year: 2025, month: 10, day: 31)
    )
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        maxDuration: .seconds(5)
    )
    let suffix = rows % 1_000_000 == 0 ? "\(rows / 1_000_000)M" : "\(rows / 1000)k"

    for (name, period) in [("all", nil), ("month", month)] as [(String, DayRange?)] {
        Benchmark("overview \(name) \(suffix)") { benchmark in
            blackHole(engine.overview(period: period))
        }
        Benchmark("by dept \(name) \(suffix)") { benchmark in
            blackHole(engine.grouped(by: .dept, period: period))
        }
        Benchmark("by category \(name) \(suffix)") { benchmark in
            blackHole(engine.grouped(by: .category, period: period))
        }
        Benchmark("trend \(name) \(suffix)") { benchmark in
            blackHole(engine.grouped(by: .month, period: period))
        }
        Benchmark("top 10 \(name) \(suffix)") { benchmark in
            blackHole(engine.topProposers(10, period: period))
        }
        Benchmark("efficiency \(name) \(suffix)") { benchmark in
            blackHole(engine.overview(period: period).avgDays)
        }
    }
}
