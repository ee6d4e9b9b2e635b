import Dispatch
import Foundation
import LeanStatsCore

/// When a ``LiveStore`` folds its journal into a new snapshot generation.
public struct CompactionPolicy: Sendable, Equatable {
    /// Compact once the current journal holds this many bytes.
    public var journalBytes: Int
    /// Compact once the current journal holds this many records (batches and metadata updates).
    public var journalRecords: Int
    /// Whether ``LiveStore/close()`` compacts a non-empty journal (a sync run does; a long-running listener need
    /// not).
    public var compactOnClose: Bool

    /// Creates a policy.
    public init(journalBytes: Int = 64 << 20, journalRecords: Int = 20_000, compactOnClose: Bool = true) {
        self.journalBytes = journalBytes
        self.journalRecords = journalRecords
        self.compactOnClose = compactOnClose
    }

    /// 64 MiB or 20,000 records, and on close.
    public static let `default` = CompactionPolicy()
}

/// A store open for writing: the table and metadata in memory, every accepted change appended to the journal and
/// made durable before ``apply(_:metadata:)`` returns, and snapshots compacted from the journal in the background
/// (docs/journal-format.md).
///
/// It holds the store's writer lock (`leanstats.lock`) from ``init(directory:purpose:policy:)`` until ``close()``.
/// Changes reach ``table`` at once; upserts into a large table are coalesced: records applied within
/// ``coalescingInterval`` of each other are merged into the columns in one pass.
public final class LiveStore: Sendable {
    /// The store.
    public let store: SnapshotStore
    /// The compaction policy.
    public let policy: CompactionPolicy
    /// How long applied records may wait to be merged into the columns together (they are visible to
    /// ``apply(_:metadata:)`` at once, and to ``table`` as soon as it is read).
    public static let coalescingInterval = 0.2

    private let state: Locked<State>
    /// Serialises column merges so each builds on the previous one.
    private let merging = Locked(())
    private let compactions = DispatchGroup()
    private let mergeQueue = DispatchQueue(label: "leanstats.live-store.merge")

    private final class State: @unchecked Sendable {
        var lock: StoreLock?
        var table: InstanceTable
        var index: InstanceIndex
        var metadata: [String: String]
        /// Applied records not yet merged into `table`, by instance id, with the sequence number of the apply.
        var pending: [String: (record: InstanceRecord, sequence: Int)] = [:]
        var sequence = 0
        var mergeScheduled = false
        /// The generation the current journal sits on.
        var journalGeneration: Int
        /// The current journal's writer, opened on the first append.
        var writer: JournalWriter?
        /// Where the current journal's records end, and how many there are, before the writer opens it.
        var journalEnd: Int
        var journalRecords: Int
        var compacting = false
        var compactionError: SnapshotError?
        var closed = false
        var bytesAppended = 0

        init(loaded: LoadedSnapshot, lock: StoreLock) {
            self.lock = lock
            table = loaded.table
            index = InstanceIndex(table: loaded.table)
            metadata = loaded.metadata
            journalGeneration = loaded.journal?.generation ?? loaded.generation
            journalEnd = loaded.journal?.offset ?? 0
            journalRecords = 0
        }
    }

    /// Opens a store directory for writing: takes the writer lock and loads the newest snapshot and its journals.
    /// - Parameters:
    ///   - directory: The data directory (created when missing).
    ///   - purpose: What the lock file says holds the store, e.g. `sync` or `listen`.
    ///   - policy: When to compact.
    ///   - warn: Receives one line per damaged generation that was skipped.
    /// - Throws: ``SnapshotError`` with code `.locked` when another process writes to the store, or when the store
    ///   cannot be read.
    public init(
        directory: String,
        purpose: String,
        policy: CompactionPolicy = .default,
        warn: (String) -> Void = { _ in }
    ) throws(SnapshotError) {
        store = SnapshotStore(directory: directory)
        self.policy = policy
        let lock = try store.lockForWriting(purpose)
        var loaded = try store.loadLatest(warn: warn)
        if loaded == nil { loaded = try store.withJournals(store.emptyBase()) }
        let state = State(loaded: loaded!, lock: lock)
        // Records in the journal being continued count towards the compaction threshold.
        if state.journalEnd > 0 {
            let path = store.journalPath(ofGeneration: state.journalGeneration)
            state.journalRecords =
                (try? JournalReader.read(path: path, base: state.journalGeneration))?.entries.count ?? 0
        }
        self.state = Locked(state)
        // The first merge then finds the dictionary indexes built, rather than building them with a change waiting.
        mergeQueue.async { [table = state.table] in table.prepareForUpserts() }
    }

    /// The table with every applied change.
    /// - Complexity: O(1), or one merge of the records applied since the last merge (O(n) for n rows).
    public var table: InstanceTable {
        mergePending()
        return state.withLock { $0.table }
    }

    /// The metadata with every applied update.
    public var metadata: [String: String] { state.withLock { $0.metadata } }

    /// The stored copy of an instance, with every applied change, without waiting for a merge.
    /// - Parameter id: The instance id.
    /// - Complexity: O(1) expected.
    public func record(_ id: String) -> InstanceRecord? {
        state.withLock { stored(id, in: $0) }
    }

    /// The generation of the journal appends go to.
    public var journalGeneration: Int { state.withLock { $0.journalGeneration } }

    /// Bytes appended to journals since the store was opened.
    public var bytesAppended: Int { state.withLock { $0.bytesAppended } }

    /// The error of the last background compaction, `nil` when it succeeded (the journal still holds everything,
    /// so nothing is lost; the next compaction tries again).
    public var compactionError: SnapshotError? { state.withLock { $0.compactionError } }

    /// Applies changes durably: records that differ from the stored ones and metadata keys that change are
    /// appended to the journal in one write and fdatasync'ed, then applied in memory.
    /// - Parameters:
    ///   - records: Instances to upsert, in order; one identical to the stored row is counted unchanged and not
    ///     journaled.
    ///   - metadata: Keys to set; keys whose value is already stored are not journaled.
    /// - Returns: What the upsert did.
    /// - Throws: ``SnapshotError`` when the journal cannot be written; nothing is applied then.
    @discardableResult
    public func apply(
        _ records: [InstanceRecord],
        metadata: [String: String] = [:]
    ) throws(SnapshotError) -> UpsertCounts {
        let outcome = state.withLock { state -> Result<(UpsertCounts, Bool), SnapshotError> in
            guard !state.closed else {
                return .failure(SnapshotError(.io, message: "the store was closed; open it again to apply changes"))
            }
            var counts = UpsertCounts()
            var changed: [String: InstanceRecord] = [:]
            var journaled: [InstanceRecord] = []
            for record in records {
                let current = changed[record.instanceId] ?? stored(record.instanceId, in: state)
                guard let current else {
                    counts.inserted += 1
                    changed[record.instanceId] = record
                    journaled.append(record)
                    continue
                }
                if Self.sameContent(current, record) {
                    counts.unchanged += 1
                } else {
                    counts.updated += 1
                    changed[record.instanceId] = record
                    journaled.append(record)
                }
            }
            let compact: Bool?
            do throws(SnapshotError) {
                compact = try append(journaled.isEmpty ? nil : .records(journaled), metadata: metadata, in: state)
            } catch {
                return .failure(error)
            }
            guard let compact else { return .success((counts, false)) }
            state.sequence += 1
            for record in journaled { state.pending[record.instanceId] = (record, state.sequence) }
            return .success((counts, compact))
        }
        let (counts, compact) = try outcome.get()
        if compact { startCompaction(wait: false) }
        scheduleMerge()
        return counts
    }

    /// Removes instances durably, e.g. those DingTalk says no longer exist: the ids the store holds are appended
    /// to the journal with the metadata keys that change, in one write, fdatasync'ed, and taken out of the columns
    /// before this returns.
    /// - Parameters:
    ///   - ids: Instance ids; ids the store does not hold are ignored.
    ///   - metadata: Keys to set; keys whose value is already stored are not journaled.
    /// - Returns: How many stored instances were removed.
    /// - Throws: ``SnapshotError`` when the journal cannot be written; nothing is removed then.
    /// - Complexity: O(n) for n rows (deletions are rare; the columns are rebuilt without the rows).
    @discardableResult
    public func remove(_ ids: [String], metadata: [String: String] = [:]) throws(SnapshotError) -> Int {
        // Under the merge lock, so no merge of pending records runs meanwhile, and under the state lock throughout,
        // so a compaction captures the table either with the rows and the removal in its journal, or without both.
        let outcome = merging.withLock { _ in
            state.withLock { state -> Result<(Int, Bool), SnapshotError> in
                guard !state.closed else {
                    return .failure(
                        SnapshotError(.io, message: "the store was closed; open it again to remove instances")
                    )
                }
                var present: [String] = []
                for id in ids where !present.contains(id) && stored(id, in: state) != nil { present.append(id) }
                let compact: Bool?
                do throws(SnapshotError) {
                    compact = try append(present.isEmpty ? nil : .removals(present), metadata: metadata, in: state)
                } catch {
                    return .failure(error)
                }
                guard let compact else { return .success((0, false)) }
                for id in present { state.pending.removeValue(forKey: id) }
                let rows = present.compactMap { state.index.row(of: $0) }
                if !rows.isEmpty {
                    state.table = state.table.removing(rows: rows)
                    state.index.update(to: state.table)
                }
                return .success((present.count, compact))
            }
        }
        let (removed, compact) = try outcome.get()
        if compact { startCompaction(wait: false) }
        return removed
    }

    /// Folds the journal into a new snapshot generation now, in the background unless `wait` is set.
    /// - Parameter wait: Whether to return only when the snapshot is written.
    public func compact(wait: Bool = true) {
        let start = state.withLock { state -> Bool in
            guard !state.compacting, !state.closed else { return false }
            state.compacting = true
            return true
        }
        if start { startCompaction(wait: wait) } else if wait { compactions.wait() }
    }

    /// Waits for a running compaction, compacts per the policy, and releases the writer lock. Idempotent.
    /// - Throws: ``SnapshotError`` when the last compaction failed (the journal still holds every change).
    public func close() throws(SnapshotError) {
        compactions.wait()
        if policy.compactOnClose { compact(wait: true) }
        let error = state.withLock { state -> SnapshotError? in
            state.closed = true
            state.writer?.close()
            state.writer = nil
            state.lock = nil
            return state.compactionError
        }
        if let error { throw error }
    }

    deinit {
        compactions.wait()
    }

    // MARK: - Journal

    /// The stored copy of an instance: pending or in the table.
    private func stored(_ id: String, in state: State) -> InstanceRecord? {
        if let pending = state.pending[id] { return pending.record }
        return state.index.row(of: id).map { state.table.record(at: $0) }
    }

    /// Appends a change and the metadata keys whose value it changes as one durable write, and sets those keys.
    /// - Returns: `nil` when there was nothing to write; else whether the journal is now due for compaction (it is
    ///   then marked as compacting).
    private func append(
        _ change: JournalEntry?,
        metadata: [String: String],
        in state: State
    ) throws(SnapshotError)
        -> Bool?
    {
        let updates = metadata.filter { state.metadata[$0.key] != $0.value }
        let entries = (change.map { [$0] } ?? []) + (updates.isEmpty ? [] : [.metadata(updates)])
        guard !entries.isEmpty else { return nil }
        let writer = try openWriter(state)
        state.bytesAppended += try writer.append(entries)
        state.journalRecords += entries.count
        state.metadata.merge(updates) { _, new in new }
        guard !state.compacting,
            writer.size >= policy.journalBytes || state.journalRecords >= policy.journalRecords
        else { return false }
        state.compacting = true
        return true
    }

    private func openWriter(_ state: State) throws(SnapshotError) -> JournalWriter {
        if let writer = state.writer { return writer }
        let path = store.journalPath(ofGeneration: state.journalGeneration)
        let writer: JournalWriter
        if state.journalEnd > 0 {
            writer = try JournalWriter.open(
                path: path,
                generation: state.journalGeneration,
                validEnd: state.journalEnd,
                records: state.journalRecords
            )
        } else {
            writer = try JournalWriter.create(path: path, generation: state.journalGeneration)
        }
        state.writer = writer
        return writer
    }

    /// Whether two records store the same values (absent and empty text are the same; form fields by name).
    static func sameContent(_ left: InstanceRecord, _ right: InstanceRecord) -> Bool {
        func text(_ value: String?) -> String? { value?.isEmpty == false ? value : nil }
        func form(_ record: InstanceRecord) -> [String: String] {
            var fields: [String: String] = [:]
            for field in record.formFields where !field.value.isEmpty { fields[field.name] = field.value }
            return fields
        }
        return left.instanceId == right.instanceId && text(left.businessId) == text(right.businessId)
            && text(left.title) == text(right.title) && left.createTime == right.createTime
            && left.finishTime == right.finishTime && left.status == right.status && left.result == right.result
            && text(left.originatorUserId) == text(right.originatorUserId)
            && text(left.originatorUserName) == text(right.originatorUserName)
            && text(left.originatorDeptId) == text(right.originatorDeptId)
            && text(left.originatorDeptName) == text(right.originatorDeptName) && form(left) == form(right)
    }

    // MARK: - Merging

    private func scheduleMerge() {
        let schedule = state.withLock { state -> Bool in
            guard !state.mergeScheduled, !state.pending.isEmpty else { return false }
            state.mergeScheduled = true
            return true
        }
        guard schedule else { return }
        mergeQueue.asyncAfter(deadline: .now() + Self.coalescingInterval) { [weak self] in
            self?.mergePending()
        }
    }

    /// Merges the pending records into the columns in one upsert, outside the state lock: applies go on meanwhile
    /// and stay pending until the next merge.
    private func mergePending() {
        merging.withLock { _ in
            let (table, batch, sequence) = state.withLock { state in
                state.mergeScheduled = false
                return (state.table, state.pending.values.map(\.record), state.sequence)
            }
            guard !batch.isEmpty else { return }
            var builder = InstanceTableBuilder()
            for record in batch { builder.upsert(record) }
            let merged = table.upserting(builder.build()).table
            // An index that only adds the new rows is updated in place, under the lock (updating a copy would copy
            // its arrays, tens of milliseconds at ten million rows); one that is rebuilt is rebuilt on a copy
            // outside it, so applies go on meanwhile.
            var rebuilt: InstanceIndex?
            if !state.withLock({ $0.index.followsCheaply(merged) }) {
                var index = state.withLock { $0.index }
                index.update(to: merged)
                rebuilt = index
            }
            state.withLock { state in
                if let rebuilt { state.index = rebuilt } else { state.index.update(to: merged) }
                state.table = merged
                state.pending = state.pending.filter { $0.value.sequence > sequence }
            }
        }
    }

    // MARK: - Compaction

    /// Starts a new journal on top of the next generation, then writes that generation from the state the old
    /// journal ends with (docs/journal-format.md, "Compaction").
    private func startCompaction(wait: Bool) {
        compactions.enter()
        // Rotate under the lock: the table, pending records and metadata captured here are exactly snapshot + old
        // journal; applies after this go to the new journal.
        let captured = state.withLock { state -> (InstanceTable, [InstanceRecord], [String: String], Int)? in
            guard state.journalRecords > 0 else {
                state.compacting = false
                return nil
            }
            let next = state.journalGeneration + 1
            do throws(SnapshotError) {
                let writer = try JournalWriter.create(path: store.journalPath(ofGeneration: next), generation: next)
                state.writer?.close()
                state.writer = writer
                state.journalGeneration = next
                state.journalEnd = JournalLayout.headerSize
                state.journalRecords = 0
            } catch {
                state.compactionError = error
                state.compacting = false
                return nil
            }
            let pending = state.pending.values.sorted { $0.sequence < $1.sequence }.map(\.record)
            return (state.table, pending, state.metadata, next)
        }
        guard let (table, pending, metadata, generation) = captured else {
            compactions.leave()
            return
        }
        let work: @Sendable () -> Void = { [store, state, compactions] in
            var failure: SnapshotError?
            var snapshot = table
            if !pending.isEmpty {
                var builder = InstanceTableBuilder()
                for record in pending { builder.upsert(record) }
                // The snapshot is written and dropped: the merged tables keep extending the shared indexes.
                snapshot = table.upserting(builder.build(), sharingIndexes: false).table
            }
            do throws(SnapshotError) {
                try store.write(snapshot, metadata: metadata, generation: generation)
            } catch {
                failure = error
            }
            state.withLock { state in
                state.compactionError = failure
                state.compacting = false
            }
            compactions.leave()
        }
        if wait {
            work()
        } else {
            let thread = Thread(block: work)
            thread.name = "leanstats-compaction"
            thread.start()
        }
    }
}
