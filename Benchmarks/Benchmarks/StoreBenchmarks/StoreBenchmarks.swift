import Benchmark
import Foundation
import LeanStatsCore
import LeanStatsImport
import LeanStatsSnapshot

/// Snapshot write, snapshot load and import of the MySQL CSV export, on a synthetic store of
/// `LEANSTATS_BENCH_ROWS` instances (default 1M). Allocation counts are the stable figure.
let benchmarks: @Sendable () -> Void = {
    let rows = Int(ProcessInfo.processInfo.environment["LEANSTATS_BENCH_ROWS"] ?? "") ?? 1_000_000
    let fixture = StoreFixture(rows: rows)
    // The files are made only in the process that runs the benchmarks, and removed after them.
    Benchmark.setup = { try fixture.create() }
    Benchmark.teardown = { fixture.remove() }
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(10),
        maxIterations: 10
    )
    let suffix = rows % 1_000_000 == 0 ? "\(rows / 1_000_000)M" : "\(rows / 1000)k"

    // Each run writes the next generation; the store keeps the newest two.
    Benchmark("snapshot write \(suffix)") { _ in
        blackHole(try! fixture.store.write(fixture.table!))
    }
    Benchmark("snapshot load \(suffix)") { _ in
        blackHole(try! fixture.store.loadLatest())
    }
    Benchmark("import CSV export \(suffix)") { _ in
        let batch = try! ImportReader(clock: fixture.clock).read(paths: fixture.csvFiles)
        blackHole(InstanceTable.empty.upserting(batch.rows))
    }
}

/// A synthetic table with its snapshot store and CSV export in a temporary directory.
final class StoreFixture: @unchecked Sendable {
    let rows: Int
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")
    let directory = NSTemporaryDirectory() + "leanstats-store-benchmarks-\(getpid())"
    private(set) var table: InstanceTable?

    init(rows: Int) { self.rows = rows }

    var store: SnapshotStore { SnapshotStore(directory: directory + "/store") }
    var csvFiles: [String] { [MySQLExport.instancesFile, MySQLExport.formValuesFile].map { directory + "/csv/" + $0 } }

    /// Generates the table, writes its first snapshot and exports it as CSV.
    func create() throws {
        let table = SyntheticHistory(rows: rows, seed: 42).table(clock: clock)
        try MySQLExport(clock: clock).write(table, to: directory + "/csv")
        try store.write(table)
        self.table = table
    }

    /// Removes the directory.
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
