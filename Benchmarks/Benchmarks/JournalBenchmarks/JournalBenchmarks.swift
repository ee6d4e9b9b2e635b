import Benchmark
import Foundation
import LeanStatsCore
import LeanStatsSnapshot

/// Persisting one change through the journal on a synthetic store of `LEANSTATS_BENCH_ROWS` instances (default
/// 10k): the durable append (`LiveStore.apply` of one changed record, write + fdatasync), the bytes it writes, and
/// separately the in-memory upsert of one record into the columns (into a table upserted before, and into one just
/// loaded), the time from apply until a reader's table holds the change, and the first query on the changed table.
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
    // The merge of one record into the columns, as a reader sees it, into a table that was upserted before (the
    // live case: the dictionary indexes are built and shared).
    Benchmark(
        "in-memory upsert 1 record \(suffix)",
        configuration: .init(metrics: [.wallClock], maxIterations: rows >= 1_000_000 ? 20 : 200)
    ) { benchmark in
        let batch = fixture.nextBatch()
        benchmark.startMeasurement()
        blackHole(fixture.table!.upserting(batch))
        benchmark.stopMeasurement()
    }
    // The same into a table never upserted before (just loaded): it indexes the dictionaries it looks values up in.
    Benchmark(
        "in-memory upsert 1 record first after load \(suffix)",
        configuration: .init(metrics: [.wallClock], maxIterations: rows >= 1_000_000 ? 5 : 50)
    ) { benchmark in
        let batch = fixture.nextBatch()
        let table = fixture.freshCopy()
        benchmark.startMeasurement()
        blackHole(table.upserting(batch))
        benchmark.stopMeasurement()
    }
    // A change from apply to the table a reader gets: the durable append, then the merge `table` waits for.
    Benchmark(
        "apply and read table 1 record \(suffix)",
        configuration: .init(metrics: [.wallClock], maxIterations: rows >= 1_000_000 ? 20 : 200)
    ) { benchmark in
        let change = fixture.nextChange()
        benchmark.startMeasurement()
        blackHole(try! fixture.live!.apply([change]))
        blackHole(fixture.live!.table)
        benchmark.stopMeasurement()
    }
    // The first query on the table after a change: a new engine derives its per-row columns again.
    Benchmark(
        "first overview after a change \(suffix)",
        configuration: .init(metrics: [.wallClock], maxIterations: rows >= 1_000_000 ? 5 : 50)
    ) { benchmark in
        let table = fixture.table!.upserting(fixture.nextBatch()).table
        benchmark.startMeasurement()
        blackHole(StatisticsEngine(table: table, clock: fixture.clock).overview(period: nil))
        benchmark.stopMeasurement()
    }
    Benchmark(
        "first by dept after a change \(suffix)",
        configuration: .init(metrics: [.wallClock], maxIterations: rows >= 1_000_000 ? 5 : 50)
    ) { benchmark in
        let table = fixture.table!.upserting(fixture.nextBatch()).table
        benchmark.startMeasurement()
        blackHole(StatisticsEngine(table: table, clock: fixture.clock).grouped(by: .dept, period: nil))
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

    /// A one-row batch holding ``nextChange()``.
    func nextBatch() -> InstanceTable {
        var builder = InstanceTableBuilder()
        builder.upsert(nextChange())
        return builder.build()
    }

    /// The table's columns as a table that was never upserted (as one just loaded from a snapshot).
    func freshCopy() -> InstanceTable {
        let table = table!
        return try! InstanceTable(
            createTime: table.createTime,
            finishTime: table.finishTime,
            status: table.status,
            result: table.result,
            instanceId: table.instanceId,
            businessId: table.businessId,
            title: table.title,
            userId: table.userId,
            userName: table.userName,
            deptId: table.deptId,
            deptName: table.deptName,
            formFields: table.formFields,
            validate: false
        )
    }

    /// Closes the store and removes the directory.
    func remove() {
        try? live?.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
