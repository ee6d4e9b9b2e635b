import Benchmark
import Foundation
import LeanStatsCore
import LeanStatsSnapshot

/// Persisting one change through the journal on a synthetic store of `LEANSTATS_BENCH_ROWS` instances (default
/// 10k): the durable append (`LiveStore.apply` of one changed record, write + fdatasync), the bytes it writes, and
/// separately the in-memory upsert of one record into the columns. The append must not grow with the store; the
/// upsert does (it rebuilds the columns), which is why LiveStore coalesces merges.
let benchmarks: @Sendable () -> Void = {
    let rows = Int(ProcessInfo.processInfo.environment["LEANSTATS_BENCH_ROWS"] ?? "") ?? 10_000
    let fixture = JournalFixture(rows: rows)
    Benchmark.setup = { try fixture.create() }
    Benchmark.teardown = { fixture.remove() }
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock],
        maxDuration: .seconds(60),
        maxIterations: 200
    )
    let suffix = rows % 1_000_000 == 0 ? "\(rows / 1_000_000)M" : "\(rows / 1000)k"
    let bytesWritten = BenchmarkMetric.custom("bytes written", polarity: .prefersSmaller, useScalingFactor: false)

    // Each iteration changes one stored instance's status, so every apply journals exactly one record.
    Benchmark(
        "journal apply 1 record \(suffix)",
        configuration: .init(metrics: [.wallClock, bytesWritten], maxIterations: 200)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            let before = fixture.live!.bytesAppended
            benchmark.startMeasurement()
            blackHole(try! fixture.live!.apply([fixture.nextChange()]))
            benchmark.stopMeasurement()
            benchmark.measurement(bytesWritten, fixture.live!.bytesAppended - before)
        }
    }
    // The merge of one record into the columns, as a reader sees it: O(rows).
    Benchmark(
        "in-memory upsert 1 record \(suffix)",
        configuration: .init(metrics: [.wallClock], maxIterations: rows >= 1_000_000 ? 20 : 200)
    ) { benchmark in
        let record = fixture.nextChange()
        var builder = InstanceTableBuilder()
        builder.upsert(record)
        let batch = builder.build()
        benchmark.startMeasurement()
        blackHole(fixture.table!.upserting(batch))
        benchmark.stopMeasurement()
    }
}

/// A synthetic store with its snapshot written, open as a LiveStore, in a temporary directory.
final class JournalFixture: @unchecked Sendable {
    let rows: Int
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")
    let directory = NSTemporaryDirectory() + "leanstats-journal-benchmarks-\(getpid())"
    private(set) var table: InstanceTable?
    private(set) var live: LiveStore?
    private var counter = 0

    init(rows: Int) { self.rows = rows }

    /// Generates the table, writes it as the first snapshot and opens the store for writing (no compaction).
    func create() throws {
        let table = SyntheticHistory(rows: rows, seed: 42).table(clock: clock)
        try SnapshotStore(directory: directory).write(table)
        self.table = table
        live = try LiveStore(
            directory: directory,
            purpose: "benchmark",
            policy: CompactionPolicy(journalBytes: 1 << 40, journalRecords: Int.max, compactOnClose: false)
        )
    }

    /// A stored instance with a status that differs from the last one written for it.
    func nextChange() -> InstanceRecord {
        counter += 1
        var record = table!.record(at: (counter * 7919) % rows)
        record.status = counter % 2 == 0 ? .terminated : .canceled
        record.title = "change \(counter)"
        return record
    }

    /// Closes the store and removes the directory.
    func remove() {
        try? live?.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
