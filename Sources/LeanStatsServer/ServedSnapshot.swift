import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsSnapshot

/// One loaded snapshot generation with everything the handlers need, immutable once built.
public struct ServedSnapshot: Sendable {
    /// The query executor over the generation, with department headcounts from the contacts cache.
    public let executor: QueryExecutor
    /// The generation number.
    public let generation: Int
    /// The snapshot's metadata (sync state, quota counters, headcounts).
    public let metadata: [String: String]
    /// The snapshot file's size in bytes.
    public let fileBytes: Int
    /// When the snapshot was written (Unix seconds).
    public let createdAt: Int64
    /// Instances by DingTalk status code (`RUNNING`, …; `UNKNOWN` for a missing status).
    public let statusCounts: [String: Int]
    /// The months with instances (`YYYY-MM`), newest first.
    public let months: [String]
    /// The department names of the store, in UTF-8 order.
    public let departments: [String]

    /// The statistics engine.
    public var engine: StatisticsEngine { executor.engine }

    /// Prepares a loaded snapshot for serving.
    /// - Complexity: O(n) once over the status and time columns.
    init(loaded: LoadedSnapshot, clock: ZoneClock) {
        let engine = StatisticsEngine(table: loaded.table, clock: clock)
        // The indexes build in the background, so the first requests after a (re)load are answered from them.
        DispatchQueue.global(qos: .utility).async { engine.prepareIndexes() }
        executor = QueryExecutor(engine: engine, headcounts: DepartmentHeadcounts.decode(from: loaded.metadata))
        generation = loaded.generation
        metadata = loaded.metadata
        fileBytes = loaded.fileSize
        createdAt = loaded.createdAt
        var counts = [Int](repeating: 0, count: 256)
        for status in loaded.table.status { counts[Int(status)] += 1 }
        var byStatus: [String: Int] = [:]
        for (code, count) in counts.enumerated() where count > 0 {
            byStatus[InstanceStatus(rawValue: UInt8(code))?.code ?? "UNKNOWN", default: 0] += count
        }
        statusCounts = byStatus
        months = engine.grouped(by: .month, period: nil, distinct: false).map(\.key).sorted(by: >)
        let dictionary = loaded.table.deptName.dictionary
        departments = (1..<max(dictionary.count, 1)).compactMap { dictionary[UInt32($0)] }.sorted {
            $0.utf8.lexicographicallyPrecedes($1.utf8)
        }
    }
}

/// Serves the newest snapshot of a store and swaps in a newer generation when a sync or import writes one,
/// without a restart; requests keep answering from the old generation while the new one loads.
public final class SnapshotSource: Sendable {
    private let store: SnapshotStore
    private let clock: ZoneClock
    private let interval: Double
    private let state = Locked(SourceState())
    private let loading = Locked(false)

    private struct SourceState {
        var current: ServedSnapshot?
        var checkedAt: Double = -.infinity
        var lastError: String?
    }

    /// Opens a store directory; nothing is read until ``current()``.
    /// - Parameters:
    ///   - directory: The store directory.
    ///   - clock: The zone of days and months.
    ///   - interval: Seconds between checks for a newer generation (0: every call).
    public init(directory: String, clock: ZoneClock, interval: Double) {
        store = SnapshotStore(directory: directory)
        self.clock = clock
        self.interval = interval
    }

    /// The last load error, `nil` when the newest load succeeded.
    public var lastError: String? { state.withLock { $0.lastError } }

    /// The newest snapshot, reloading first when a newer generation exists and no other thread is loading it.
    /// - Returns: `nil` while the store holds no readable snapshot.
    public func current() -> ServedSnapshot? {
        let now = Date().timeIntervalSince1970
        let (served, due) = state.withLock { state -> (ServedSnapshot?, Bool) in
            let due = now - state.checkedAt >= interval
            if due { state.checkedAt = now }
            return (state.current, due)
        }
        guard due, let newest = store.generations().first, newest != served?.generation else { return served }
        // One thread loads; the others keep answering from the generation they have.
        let mine = loading.withLock { busy -> Bool in
            defer { busy = true }
            return !busy
        }
        guard mine || served == nil else { return served }
        if !mine {
            while loading.withLock({ $0 }) { usleep(5_000) }
            return state.withLock { $0.current }
        }
        defer { loading.withLock { $0 = false } }
        do {
            guard let loaded = try store.loadLatest() else { return served }
            let fresh = ServedSnapshot(loaded: loaded, clock: clock)
            state.withLock {
                $0.current = fresh
                $0.lastError = nil
            }
            return fresh
        } catch {
            state.withLock { $0.lastError = "\(error)" }
            return served
        }
    }
}
