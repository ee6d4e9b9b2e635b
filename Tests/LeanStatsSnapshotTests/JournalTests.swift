import Foundation
import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSnapshot

/// The journal: durability at every byte, damage reports, compaction and idempotence, on real files.
@Suite struct JournalTests {
    /// Records of a table in comparable form: sorted by id, form fields by name.
    static func contents(_ table: InstanceTable?) -> [InstanceRecord] {
        guard let table else { return [] }
        return (0..<table.rowCount).map { row in
            var record = table.record(at: row)
            record.formFields.sort { $0.name < $1.name }
            return record
        }.sorted { $0.instanceId < $1.instanceId }
    }

    /// What a store holding `records` (upserted in order) contains.
    static func expected(_ records: [InstanceRecord]) -> [InstanceRecord] {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return contents(builder.build())
    }

    /// Batches with inserts, updates of earlier instances and empty text, in arrival order.
    static func batches(count: Int, seed: UInt64) -> [[InstanceRecord]] {
        let records = randomInstances(count: count * 4, seed: seed)
        return (0..<count).map { batch in
            var part = Array(records[(batch * 3)..<(batch * 3 + 4)])
            // The last record of each batch is the first of the next: an update with a new status.
            part[3].status = .completed
            part[3].title = batch % 2 == 0 ? "" : "改 \(batch)"
            return part
        }
    }

    @Test func aJournalCutAtEveryByteLoadsExactlyTheBatchesAcknowledgedBeforeTheCut() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-journal")
        defer { directory.remove() }
        let source = directory.file("source")
        let live = try LiveStore(directory: source, purpose: "test", policy: .init(compactOnClose: false))
        var boundaries: [(size: Int, records: [InstanceRecord], metadata: [String: String])] = []
        var applied: [InstanceRecord] = []
        var metadata: [String: String] = [:]
        let journal = SnapshotStore(directory: source).journalPath(ofGeneration: 0)
        for (index, batch) in Self.batches(count: 6, seed: 7).enumerated() {
            metadata["sync.state"] = "batch \(index)"
            try live.apply(batch, metadata: ["sync.state": "batch \(index)"])
            applied += batch
            boundaries.append((SnapshotStore.fileSize(journal)!, Self.expected(applied), metadata))
        }
        try live.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: journal))
        #expect(bytes.count == boundaries.last!.size)

        let target = directory.file("cut")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let store = SnapshotStore(directory: target)
        for length in JournalLayout.headerSize...bytes.count {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: store.journalPath(ofGeneration: 0)))
            let loaded = try store.loadLatest()
            let acknowledged = boundaries.last { $0.size <= length }
            #expect(Self.contents(loaded?.table) == (acknowledged?.records ?? []), "cut at byte \(length)")
            #expect((loaded?.metadata ?? [:]) == (acknowledged?.metadata ?? [:]), "cut at byte \(length)")
        }

        // A writer opening a torn journal cuts the tail off and appends after the last acknowledged batch.
        let torn = boundaries[2].size + 5
        try bytes.prefix(torn).write(to: URL(fileURLWithPath: store.journalPath(ofGeneration: 0)))
        let reopened = try LiveStore(directory: target, purpose: "test", policy: .init(compactOnClose: false))
        let extra = InstanceRecord(instanceId: "after-the-cut", createTime: 1_720_000_000, status: .running)
        try reopened.apply([extra])
        try reopened.close()
        let recovered = try store.loadLatest()
        #expect(
            Self.contents(recovered?.table)
                == Self.expected(Self.batches(count: 6, seed: 7).prefix(3).flatMap { $0 } + [extra])
        )
    }

    @Test func aDamagedRecordFollowedByGoodOnesIsRefusedNamingTheFileAndByte() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-journal")
        defer { directory.remove() }
        let live = try LiveStore(directory: directory.path, purpose: "test", policy: .init(compactOnClose: false))
        for batch in Self.batches(count: 3, seed: 11) { try live.apply(batch) }
        try live.close()
        let store = SnapshotStore(directory: directory.path)
        let path = store.journalPath(ofGeneration: 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // A bit in the first record's payload.
        bytes[JournalLayout.headerSize + JournalLayout.recordHeaderSize + 3] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try store.loadLatest()
        } throws: { error in
            let error = error as? SnapshotError
            return error?.code == .malformedJournal && error?.offset == JournalLayout.headerSize
                && error?.description.contains(path) == true
                && error?.description.contains("at byte \(JournalLayout.headerSize)") == true
        }
        #expect(throws: SnapshotError.self) { _ = try LiveStore(directory: directory.path, purpose: "test") }
    }

    @Test func applyingTheSameChangeTwiceJournalsItOnceAndCountsItUnchanged() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-journal")
        defer { directory.remove() }
        let live = try LiveStore(directory: directory.path, purpose: "test", policy: .init(compactOnClose: false))
        let batch = randomInstances(count: 20, seed: 3)
        let first = try live.apply(batch, metadata: ["k": "v"])
        let size = live.bytesAppended
        let second = try live.apply(batch, metadata: ["k": "v"])
        #expect(first == UpsertCounts(inserted: 20))
        #expect(second == UpsertCounts(unchanged: 20))
        #expect(live.bytesAppended == size, "an identical change was journaled again")
        // Also once merged into the columns (the comparison then reads the table).
        _ = live.table
        var changed = batch[4]
        changed.status = .terminated
        #expect(try live.apply([batch[4], changed]) == UpsertCounts(updated: 1, unchanged: 1))
        #expect(try live.apply([changed]) == UpsertCounts(unchanged: 1))
        try live.close()
        #expect(
            Self.contents(try SnapshotStore(directory: directory.path).loadLatest()?.table)
                == Self.expected(batch + [changed])
        )
    }

    @Test func aRemovedInstanceIsGoneFromTheColumnsAtOnceAndAfterReopeningAndMayComeBack() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-journal")
        defer { directory.remove() }
        let live = try LiveStore(directory: directory.path, purpose: "test", policy: .init(compactOnClose: false))
        let batch = randomInstances(count: 30, seed: 8)
        try live.apply(batch)
        _ = live.table
        // One merged row, one still pending, one unknown id, one repeated.
        var pending = batch[7]
        pending.status = .terminated
        try live.apply([pending])
        let size = live.bytesAppended
        #expect(try live.remove(["nope"]) == 0)
        #expect(live.bytesAppended == size, "removing an unknown id was journaled")
        #expect(
            try live.remove([batch[3].instanceId, pending.instanceId, batch[3].instanceId], metadata: ["k": "1"]) == 2
        )
        let remaining = batch.filter { $0.instanceId != batch[3].instanceId && $0.instanceId != pending.instanceId }
        #expect(live.record(batch[3].instanceId) == nil)
        #expect(live.record(pending.instanceId) == nil)
        #expect(Self.contents(live.table) == Self.expected(remaining))
        #expect(live.metadata["k"] == "1")
        // Other instances keep their rows and can still be found and updated.
        var later = batch[20]
        later.title = "改"
        #expect(try live.apply([later]) == UpsertCounts(updated: 1))
        try live.close()
        let store = SnapshotStore(directory: directory.path)
        #expect(Self.contents(try store.loadLatest()?.table) == Self.expected(remaining + [later]))
        // A removed id that reappears is inserted again, after the removal in journal order.
        let reopened = try LiveStore(directory: directory.path, purpose: "test")
        #expect(try reopened.apply([batch[3]]) == UpsertCounts(inserted: 1))
        try reopened.close()
        let loaded = try store.loadLatest()
        #expect(Self.contents(loaded?.table) == Self.expected(remaining + [later, batch[3]]))
        #expect(loaded?.metadata["k"] == "1")
    }

    @Test func removalsSurviveTheJournalEncodingAndACutInsideThemDropsThemWhole() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-journal")
        defer { directory.remove() }
        let live = try LiveStore(directory: directory.path, purpose: "test", policy: .init(compactOnClose: false))
        let batch = randomInstances(count: 10, seed: 9)
        try live.apply(batch)
        let before = live.bytesAppended
        try live.remove([batch[0].instanceId, batch[5].instanceId])
        try live.close()
        let path = SnapshotStore(directory: directory.path).journalPath(ofGeneration: 0)
        let entries = try JournalReader.read(path: path, base: 0).entries
        #expect(entries.last == .removals([batch[0].instanceId, batch[5].instanceId]))
        // A crash inside the removal's append leaves every instance stored.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = JournalLayout.headerSize
        try bytes.prefix(header + before + 7).write(to: URL(fileURLWithPath: path))
        #expect(Self.contents(try SnapshotStore(directory: directory.path).loadLatest()?.table) == Self.expected(batch))
    }

    @Test func changesMergedOneAfterAnotherAreFoundByInstanceIdAfterEachMerge() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-journal")
        defer { directory.remove() }
        let live = try LiveStore(directory: directory.path, purpose: "test", policy: .init(compactOnClose: false))
        let stored = randomInstances(count: 200, seed: 5)
        try live.apply(stored)
        _ = live.table
        var applied = stored
        let last = stored.map(\.createTime).max()!
        for step in 0..<8 {
            // A new instance after the last one and a change to an earlier one: merged without moving rows.
            var created = stored[step]
            created.instanceId = "later-\(step)"
            created.createTime = last + Int64(step + 1) * 60
            var changed = applied[step * 7]
            changed.status = step % 2 == 0 ? .canceled : .terminated
            #expect(try live.apply([created, changed]) == UpsertCounts(inserted: 1, updated: 1))
            applied += [created, changed]
            _ = live.table
            #expect(try live.apply([created, changed]) == UpsertCounts(unchanged: 2))
            // Pending or merged (whose form fields come in column order), the stored copy holds the same values.
            let found = try #require(live.record(created.instanceId))
            #expect(Self.expected([found]) == Self.expected([created]))
        }
        #expect(Self.contents(live.table) == Self.expected(applied))
        try live.close()
    }

    @Test func compactionWhileAppendsContinueLosesAndDoublesNothing() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-journal")
        defer { directory.remove() }
        let live = try LiveStore(
            directory: directory.path,
            purpose: "test",
            policy: CompactionPolicy(journalBytes: 1 << 30, journalRecords: 5, compactOnClose: true)
        )
        let store = SnapshotStore(directory: directory.path)
        var applied: [InstanceRecord] = []
        for (index, batch) in Self.batches(count: 40, seed: 5).enumerated() {
            try live.apply(batch, metadata: ["n": "\(index)"])
            applied += batch
            // A reader in the middle of background compactions sees exactly what was acknowledged.
            if index % 7 == 3 {
                let loaded = try store.loadLatest()
                #expect(Self.contents(loaded?.table) == Self.expected(applied), "after batch \(index)")
                #expect(loaded?.metadata["n"] == "\(index)")
            }
        }
        #expect(Self.contents(live.table) == Self.expected(applied))
        try live.close()
        // Under load compactions coalesce; one besides the close shows the threshold works.
        #expect(store.generations().first! >= 2, "the journal was never compacted before closing")
        let loaded = try store.loadLatest()
        #expect(Self.contents(loaded?.table) == Self.expected(applied))
        #expect(loaded?.metadata["n"] == "39")
    }

    @Test func aCrashBetweenTheStepsOfACompactionLosesAndDoublesNothing() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-journal")
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        let batches = Self.batches(count: 3, seed: 9)
        let live = try LiveStore(directory: directory.path, purpose: "test", policy: .init(compactOnClose: false))
        try live.apply(batches[0], metadata: ["n": "0"])
        live.compact(wait: true)
        try live.apply(batches[1], metadata: ["n": "1"])
        let beforeRotation = live.table
        try live.close()
        #expect(store.generations() == [1])
        let everything = Self.expected(batches.flatMap { $0 })

        // Crash after the rotation: journal 2 exists and took an append, snapshot 2 was never written.
        let next = try JournalWriter.create(path: store.journalPath(ofGeneration: 2), generation: 2)
        try next.append([.records(batches[2]), .metadata(["n": "2"])])
        next.close()
        #expect(Self.contents(try store.loadLatest()?.table) == everything)

        // Crash after snapshot 2 was written, before anything was removed: journal 1 is not replayed again.
        try store.write(beforeRotation, metadata: ["n": "1"], generation: 2)
        #expect(FileManager.default.fileExists(atPath: store.journalPath(ofGeneration: 1)))
        let loaded = try store.loadLatest()
        #expect(loaded?.generation == 2)
        #expect(Self.contents(loaded?.table) == everything)
        #expect(loaded?.metadata["n"] == "2")

        // Snapshot 2 damaged: snapshot 1 with journals 1 and 2 gives the same store.
        let path = store.path(ofGeneration: 2)
        let damaged = try Data(contentsOf: URL(fileURLWithPath: path))
        try damaged.prefix(damaged.count - 9).write(to: URL(fileURLWithPath: path))
        let fallback = try store.loadLatest()
        #expect(fallback?.generation == 1)
        #expect(Self.contents(fallback?.table) == everything)
        #expect(fallback?.metadata["n"] == "2")

        // Another writer (an import) writes above every journal, so stale journals are never replayed on it.
        #expect(try store.write(.empty, metadata: [:]) == 3)
        #expect(try store.loadLatest()?.table.rowCount == 0)
    }

    @Test func everyInstanceFieldSurvivesTheJournalEncoding() throws {
        let record = InstanceRecord(
            instanceId: "id-😀",
            businessId: "202501011200000001",
            title: nil,
            createTime: -5,
            finishTime: Int64.max,
            status: .canceled,
            result: .refuse,
            originatorUserId: "",
            originatorUserName: "名字",
            originatorDeptId: "-1",
            originatorDeptName: nil,
            formFields: [FormField(name: "b", value: ""), FormField(name: "a", value: "x\u{0}y")]
        )
        for entry in [JournalEntry.records([record, record]), .metadata(["k": "v", "": "😀"])] {
            let framed = JournalLayout.frame(entry)
            #expect(JournalReader.completeRecord(framed, at: 0) == framed.count)
            let decoded = try JournalEntry.decode(kind: framed[2], payload: framed[JournalLayout.recordHeaderSize...])
            #expect(decoded == entry)
        }
    }
}
