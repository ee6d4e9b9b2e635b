import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSnapshot
import Testing

@testable import LeanStatsSync

/// The benchmark: an emulated month of 1,000 new proposals, about 300 open, a median of 10 days to approval,
/// kept fresh by events and a catch-up every 12 hours (the default) within 2,500 calls and 2,500 pushes.
struct PlantMonthTests {
    /// 2025-12-01 00:00 Beijing, epoch milliseconds.
    static let start: Int64 = 1_764_518_400_000

    /// What the month cost, counted by the emulator.
    struct MonthCount {
        var calls = 0
        var pushes = 0
        var catchUps = 0
        var created = 0
        var finished = 0
    }

    /// Runs a month in steps of `hours`: the plant's changes reach the store as events (a detail for each start,
    /// nothing for a finish; every `loseEvery`-th event is lost), then a catch-up runs.
    private func month(hours: Int64, events: Bool, loseEvery: Int = 50) async throws -> MonthCount {
        var plant = try EmulatedPlant(start: Self.start)
        let harness = try SyncHarness(records: plant.backlog)
        defer { harness.tearDown() }
        harness.emulator.clock.set(now: Self.start)
        var settings = harness.settings(api: .v1)
        settings.monthlyCallBudget = 1_000_000
        _ = try await harness.engine(settings).run(.incremental)
        harness.emulator.resetStatistics()

        let client = DingTalkClient(settings: settings, transport: CurlTransport(timeoutSeconds: 5))
        var count = MonthCount()
        var event = 0
        let end = Self.start + Int64(30.4375 * 86_400_000)
        while harness.emulator.clock.now() < end {
            harness.emulator.clock.advance(byMilliseconds: hours * 3_600_000)
            let changes = plant.advance(to: harness.emulator.clock.now(), applyingTo: harness.emulator)
            count.created += changes.created.count
            count.finished += changes.finished.count
            if events {
                let loaded = try #require(try SnapshotStore(directory: harness.store()).loadLatest())
                var builder = InstanceTableBuilder(table: loaded.table)
                for (record, isStart) in changes.created.map({ ($0, true) }) + changes.finished.map({ ($0, false) }) {
                    count.pushes += 1
                    event += 1
                    if event % loseEvery == 0 { continue }
                    // A start event lacks the form values: the handler fetches the detail. A finish needs nothing.
                    if isStart { _ = try await client.instanceDetail(record.instanceId) }
                    _ = builder.upsert(SyncHarness.normalized(record, api: .v1))
                }
                _ = try SnapshotStore(directory: harness.store()).write(builder.build(), metadata: loaded.metadata)
            }
            _ = try await harness.engine(settings).run(.catchUp)
            count.catchUps += 1
        }
        count.calls = harness.emulator.statistics.quotaCalls
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: .v1), "every instance exact")
        return count
    }

    @Test func aMonthOfEventsAndCatchUpsEvery12HoursStaysWithin2500CallsAndPushes() async throws {
        let count = try await month(hours: 12, events: true)
        print("plant month, events + catch-up every 12 h: \(count)")
        #expect((980...1020).contains(count.created))
        #expect(count.calls <= 2500, "calls \(count.calls)")
        #expect(count.pushes <= 2500, "pushes \(count.pushes)")
        // At least the delivered starts' details and, per catch-up, a listing page and 15 RUNNING pages.
        #expect(count.calls >= count.created * 49 / 50 - 1 + count.catchUps * 16, "calls \(count.calls)")
    }

    @Test func withoutEventsAMonthOfCatchUpsEvery12HoursStillFitsTheFreeTier() async throws {
        let count = try await month(hours: 12, events: false)
        print("plant month, catch-up every 12 h without events: \(count)")
        #expect(count.pushes == 0)
        #expect(count.calls <= 5000, "calls \(count.calls)")
    }
}
