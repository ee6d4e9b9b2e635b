import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import Testing

@testable import LeanStatsSync

/// A sync persists its batches through the store's journal.
struct JournalSyncTests {
    @Test func aMultiBatchSyncAppendsToTheJournalAndWritesOneGenerationAtTheEnd() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(200))
        defer { harness.tearDown() }
        var settings = harness.settings(api: .v1)
        settings.batchSize = 25
        let summary = try await harness.engine(settings).run(.full)
        #expect(summary.inserted == 200 && summary.fetched == 200)
        let store = SnapshotStore(directory: harness.store())
        // Eight batches, one snapshot generation: the compaction when the run closed the store.
        #expect(store.generations() == [1])
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: .v1))
        let state = try SyncState(metadata: try SyncHarness.metadata(harness.store()))
        #expect(state.run == nil && state.cursor != nil)

        // The next (incremental) sync changes nothing and writes nothing.
        let again = try await harness.engine(settings).run(.incremental)
        #expect(again.inserted == 0 && again.updated == 0)
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: .v1))
    }
}
