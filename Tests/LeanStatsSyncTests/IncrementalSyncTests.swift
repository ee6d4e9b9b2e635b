import Foundation
import LeanStatsCore
import LeanStatsEmulator
import Testing

@testable import LeanStatsSync

/// A later incremental sync picks up status changes of open instances and new instances, cheaply.
struct IncrementalSyncTests {
    @Test(arguments: [DingTalkAPI.v1, .legacy])
    func anIncrementalSyncPicksUpInstancesTheEmulatorFinished(api: DingTalkAPI) async throws {
        let records = SyncHarness.newest(200)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: api)
        _ = try await harness.engine(settings).run(.incremental)
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: api))

        let running = records.filter { $0.status == .running }
        #expect(running.count >= 10)
        let now = harness.emulator.clock.now() / 1000
        for (index, record) in running.prefix(10).enumerated() {
            harness.emulator.update(record.instanceId) { instance in
                instance.status = .completed
                instance.result = index % 3 == 0 ? .refuse : .agree
                instance.finishTime = now - 600
            }
        }
        harness.emulator.clock.advance(byMilliseconds: 3_600_000)
        var newcomers = records.suffix(3).map { $0 }
        for index in newcomers.indices {
            // Like real ids, these end in the creation time's epoch seconds, which gives v1.0 its seconds back.
            newcomers[index].createTime = now + 1800 + Int64(index) * 60
            newcomers[index].instanceId = "NEWINSTANCE\(index)x\(newcomers[index].createTime)"
            newcomers[index].businessId = nil
            newcomers[index].status = .running
            newcomers[index].result = nil
            newcomers[index].finishTime = nil
        }
        harness.emulator.insert(newcomers)

        let summary = try await harness.engine(settings).run(.incremental)
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: api))
        #expect(summary.inserted == 3)
        #expect(summary.updated == 10)
        #expect(summary.fetched == running.count + 3, "open instances and the new ones, nothing else")
        #expect(summary.quotaCalls <= running.count + 3 + 2, "a page or two of listing")
    }

    @Test func theCursorAdvancesAndTheNextSyncListsOnlyTheNewWindow() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(50))
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        let first = try await harness.engine(settings).run(.incremental)
        #expect(first.windows == 4, "a first sync lists the whole year")
        let second = try await harness.engine(settings).run(.incremental)
        #expect(second.windows == 1)
        #expect(second.inserted == 0 && second.updated == 0)
        let state = try SyncState(metadata: try SyncHarness.metadata(harness.store()))
        #expect(state.run == nil)
        #expect(state.cursor != nil)
    }
}

/// `sync --since DATE` lists from a date, within DingTalk's reach.
struct SinceSyncTests {
    @Test func aSyncSinceADateFetchesTheInstancesCreatedSinceThenAndTheOpenOnes() async throws {
        let records = SyncHarness.newest(200)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: .legacy)
        let since = records[150].createTime * 1000
        let summary = try await harness.engine(settings).run(.since(since))
        #expect(summary.fetched == records.filter { $0.createTime * 1000 >= since }.count)
        let stored = try SyncHarness.stored(harness.store())
        #expect(stored == harness.expected(api: .legacy).filter { $0.createTime * 1000 >= since })
    }

    @Test func aDateMoreThan365DaysBackIsRefusedWithTheOldestPossibleDate() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(5))
        defer { harness.tearDown() }
        let tooOld = harness.emulator.clock.now() - 400 * SyncPlanner.day
        await #expect {
            _ = try await harness.engine(harness.settings(api: .v1)).run(.since(tooOld))
        } throws: { error in
            let error = error as? SyncError
            return error?.code == .configuration && error?.message.contains("more than 365 days back") == true
        }
        #expect(SnapshotStoreProbe.isEmpty(harness.store()))
    }
}

/// Whether a data directory holds no snapshot.
enum SnapshotStoreProbe {
    static func isEmpty(_ directory: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).allSatisfy { !$0.hasSuffix(".lsnap") }
    }
}
