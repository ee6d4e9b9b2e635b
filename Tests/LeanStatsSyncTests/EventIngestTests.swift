import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSnapshot
@testable import LeanStatsSync

/// Stream events through ``EventIngest`` into a ``LiveStore``, against the emulator over a real WebSocket.
@Suite(.serialized) struct EventIngestTests {
    @Test func eventsStoreNewInstancesWithOneDetailCallAndFinishesWithoutAny() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(20))
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.incremental)
        let running = try #require(harness.emulator.instances.first { $0.status == .running })

        let live = try LiveStore(directory: harness.store(), purpose: "listen")
        let syncedMetadata = live.metadata
        let ingest = try EventIngest(
            settings: settings,
            live: live,
            transport: CurlTransport(timeoutSeconds: 5),
            clock: ShiftedSyncClock(startingAt: harness.emulator.clock.now())
        )
        var configuration = StreamConfiguration(settings: settings)
        configuration.keepAliveMilliseconds = 1000
        let listener = StreamListener(configuration: configuration, transport: CurlTransport(timeoutSeconds: 5)) {
            try await ingest.handle($0)
        }
        let task = listener.start()
        defer { task.cancel() }
        try await StreamTests.Fixture.wait("the connection") { listener.statistics.connectionsOpened >= 1 }

        // A finish of a stored instance: stored from the event alone.
        let callsBefore = harness.emulator.statistics.quotaCalls
        harness.emulator.update(running.instanceId) {
            $0.status = .completed
            $0.result = .agree
            $0.finishTime = $0.createTime + 3 * 86_400
        }
        try await StreamTests.Fixture.wait("the finish") { ingest.statistics.updatedFromEvents == 1 }
        #expect(harness.emulator.statistics.quotaCalls == callsBefore)

        // A new instance: one detail call.
        var fresh = StreamTests.newInstances(1, from: 900)[0]
        // v1.0 details carry minutes, so a whole minute keeps the comparison exact.
        fresh.createTime = (running.createTime / 60 + 1) * 60
        harness.emulator.insert([fresh])
        try await StreamTests.Fixture.wait("the new instance") { ingest.statistics.fetched == 1 }
        #expect(harness.emulator.statistics.quotaCalls == callsBefore + 1)

        // Both pushes count towards the month, and the detail call towards the month's calls.
        let month = try ZoneClock(identifier: "Asia/Shanghai").date(at: harness.emulator.clock.now() / 1000).monthText
        #expect(QuotaRecord.decode(live.metadata, key: QuotaRecord.pushesKey) == [month: 2])
        #expect(QuotaRecord.decode(live.metadata)[month] == QuotaRecord.decode(syncedMetadata)[month]! + 1)

        // What the store holds is exactly what a full sync of the emulator would store.
        let table = live.table
        let stored = (0..<table.rowCount).map { SyncHarness.normalized(table.record(at: $0), api: nil) }
            .sorted { $0.instanceId < $1.instanceId }
        let expected = harness.expected(api: .v1).map { record in
            var record = record
            // The sync fills in the originator's name from the contacts directory.
            record.originatorUserName = stored.first { $0.instanceId == record.instanceId }?.originatorUserName
            return record
        }
        #expect(stored == expected)
        task.cancel()
        _ = await task.result
        try live.close()
        #expect(try SyncHarness.stored(harness.store()) == stored)
    }

    @Test func theSameEventTwiceStoresTheChangeOnceAndCountsBothPushes() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(5))
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.incremental)
        let live = try LiveStore(directory: harness.store(), purpose: "listen")
        defer { try? live.close() }
        let ingest = try EventIngest(settings: settings, live: live, transport: CurlTransport(timeoutSeconds: 5))
        let table = live.table
        let stored = try #require((0..<table.rowCount).map(table.record(at:)).first { $0.status == .running })
        // A terminate with its time says everything: stored from the event alone.
        let event = ApprovalEvent(
            eventId: "e1",
            kind: .instanceChange,
            type: .terminate,
            processInstanceId: stored.instanceId,
            processCode: "PROC-LEAN",
            createTime: stored.createTime * 1000,
            finishTime: (stored.createTime + 3600) * 1000
        )
        try await ingest.handle(event)
        try await ingest.handle(event)
        let statistics = ingest.statistics
        #expect(statistics.updatedFromEvents == 1 && statistics.unchanged == 1)
        let journal = try JournalReader.read(
            path: live.store.journalPath(ofGeneration: live.journalGeneration),
            base: live.journalGeneration
        )
        let records = journal.entries.flatMap { entry -> [InstanceRecord] in
            if case .records(let records) = entry { records } else { [] }
        }
        #expect(records.map(\.instanceId) == [stored.instanceId])
        #expect(records.first?.status == .terminated)
        #expect(QuotaRecord.decode(live.metadata, key: QuotaRecord.pushesKey).values.first == 2)
    }

    @Test func aDeleteEventRemovesTheInstanceWithOneDetailCallCounted() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(8))
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.incremental)
        let live = try LiveStore(directory: harness.store(), purpose: "listen")
        let ingest = try EventIngest(
            settings: settings,
            live: live,
            transport: CurlTransport(timeoutSeconds: 5),
            clock: ShiftedSyncClock(startingAt: harness.emulator.clock.now())
        )
        let victim = try #require(harness.emulator.instances.first { $0.status == .running })
        let month = try ZoneClock(identifier: "Asia/Shanghai").date(at: harness.emulator.clock.now() / 1000).monthText
        let callsBefore = QuotaRecord.decode(live.metadata)[month] ?? 0
        harness.emulator.delete(victim.instanceId)
        let event = ApprovalEvent(
            eventId: "d1",
            kind: .instanceChange,
            type: .delete,
            processInstanceId: victim.instanceId,
            processCode: "PROC-LEAN",
            createTime: victim.createTime * 1000
        )
        try await ingest.handle(event)
        #expect(ingest.statistics.removed == 1 && ingest.statistics.missing == 0)
        #expect(live.record(victim.instanceId) == nil)
        #expect(QuotaRecord.decode(live.metadata)[month] == callsBefore + 1)
        #expect(QuotaRecord.decode(live.metadata, key: QuotaRecord.pushesKey) == [month: 1])
        // Delivered again: nothing left to remove, the push and the call still counted.
        try await ingest.handle(event)
        #expect(ingest.statistics.removed == 1)
        #expect(QuotaRecord.decode(live.metadata, key: QuotaRecord.pushesKey) == [month: 2])
        try live.close()
        #expect(
            try SyncHarness.stored(harness.store()).map(\.instanceId) == harness.expected(api: .v1).map(\.instanceId)
        )
    }
}
