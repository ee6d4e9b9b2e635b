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

/// A snapshot generation that could not be loaded, and why.
public struct SnapshotDamage: Sendable, Equatable {
    /// The damaged generation.
    public let generation: Int
    /// Its file.
    public let path: String
    /// The reader's error, naming the file, column and byte where it could.
    public let message: String
}

/// Serves the newest snapshot of a store and swaps in a newer generation when a sync or import writes one,
/// without a restart; requests keep answering from the generation they have while the new one loads.
///
/// Loading happens on a background thread only, once per generation file: requests never read the store. A newest
/// generation that does not load is reported (``damage``), the older generation stays served, and the damaged file
/// is not read again until it changes or a newer generation appears.
public final class SnapshotSource: Sendable {
    private let store: SnapshotStore
    private let clock: ZoneClock
    private let interval: Double
    private let state = Locked(SourceState())
    private let stopped = Locked(true)

    private struct SourceState {
        var current: ServedSnapshot?
        /// What ``current`` was prepared from, with how far its journals were replayed.
        var loaded: LoadedSnapshot?
        var damage: SnapshotDamage?
        /// The file identity of each generation that failed to load, so it is not read again unchanged.
        var failed: [Int: FileIdentity] = [:]
        var loadFailures = 0
    }

    /// What tells one file from a replacement at the same path.
    private struct FileIdentity: Equatable {
        var inode: UInt64
        var size: Int64
        var modified: Int64
    }

    /// Opens a store directory; nothing is read until ``refresh()`` or ``startWatching()``.
    /// - Parameters:
    ///   - directory: The store directory.
    ///   - clock: The zone of days and months.
    ///   - interval: Seconds between checks for a newer generation (at least 0.05).
    public init(directory: String, clock: ZoneClock, interval: Double) {
        store = SnapshotStore(directory: directory)
        self.clock = clock
        self.interval = max(0.05, interval)
    }

    /// The snapshot being served; `nil` while the store holds no readable snapshot. Never reads the store.
    public func current() -> ServedSnapshot? { state.withLock { $0.current } }

    /// The newest generation's damage, `nil` when the newest generation is the one served.
    public var damage: SnapshotDamage? { state.withLock { $0.damage } }

    /// How many generation loads have failed since the source was opened.
    public var loadFailures: Int { state.withLock { $0.loadFailures } }

    /// The damage as one line, `nil` when there is none.
    public var lastError: String? { damage?.message }

    /// Loads the newest generation when it is not the one served and was not already found damaged as it is.
    /// When the newest is damaged, the newest older generation that loads and is newer than the one served is
    /// served instead. When the served generation is still the newest, the records appended to its journals since
    /// (by a sync or `leanstats listen` in another process) are applied to the served table.
    /// - Complexity: O(1) when nothing changed (a directory listing and two `stat` calls); one upsert of the new
    ///   records when the journal grew; a full load of one generation otherwise.
    public func refresh() {
        let generations = store.generations()
        let (served, failed, loaded) = state.withLock { ($0.current?.generation, $0.failed, $0.loaded) }
        let newest = generations.first ?? 0
        if let loaded, newest == served {
            followJournal(loaded)
            return
        }
        if generations.isEmpty {
            // A store written only through its journal so far.
            guard let fresh = try? store.loadLatest() else { return }
            install(fresh, newest: true)
            return
        }
        let identity = Self.identity(of: store.path(ofGeneration: newest))
        if let known = failed[newest], known == identity { return }
        for generation in generations where generation > (served ?? -1) {
            let path = store.path(ofGeneration: generation)
            do {
                install(try store.withJournals(try store.read(path: path)), newest: generation == newest)
                return
            } catch {
                let stamp = generation == newest ? identity : Self.identity(of: path)
                state.withLock { state in
                    state.loadFailures += 1
                    if let stamp { state.failed[generation] = stamp }
                    if generation == newest {
                        state.damage = SnapshotDamage(generation: generation, path: path, message: "\(error)")
                    }
                }
            }
        }
    }

    /// Applies what was appended to the served generation's journals since it was loaded.
    private func followJournal(_ loaded: LoadedSnapshot) {
        do {
            guard let advanced = try store.advance(loaded) else { return }
            install(advanced, newest: true, followed: true)
        } catch {
            state.withLock { state in
                state.loadFailures += 1
                state.damage = SnapshotDamage(generation: loaded.generation, path: loaded.path, message: "\(error)")
            }
        }
    }

    private func install(_ loaded: LoadedSnapshot, newest: Bool, followed: Bool = false) {
        if !followed {
            // A writer in another process (`leanstats listen`, a sync) may append to this generation's journal:
            // the lookup indexes of the first small upsert are built now, in the background, so its first change
            // is served as soon as the next ones (a second or more at ten million rows otherwise).
            DispatchQueue.global(qos: .utility).async { [table = loaded.table] in table.prepareForUpserts() }
        }
        let fresh = ServedSnapshot(loaded: loaded, clock: clock)
        state.withLock { state in
            state.current = fresh
            state.loaded = loaded
            if newest { state.damage = nil }
            state.failed = state.failed.filter { $0.key > loaded.generation }
        }
    }

    /// Loads the newest generation now, then checks for newer ones every interval on a background thread until
    /// ``stopWatching()``.
    public func startWatching() {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = false }
            return stopped
        }
        guard first else { return }
        refresh()
        let thread = Thread { [self] in
            while !stopped.withLock({ $0 }) {
                Thread.sleep(forTimeInterval: interval)
                if stopped.withLock({ $0 }) { break }
                refresh()
            }
        }
        thread.name = "leanstats-snapshot-reload"
        thread.start()
    }

    /// Stops the background checks. Idempotent.
    public func stopWatching() {
        stopped.withLock { $0 = true }
    }

    private static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        )
    }
}
