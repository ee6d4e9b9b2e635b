import Foundation
import LeanStatsCore
import LeanStatsEmulator
import Testing

@testable import LeanStatsSync

/// `sync --catch-up`: new instances since the cursor, and of the open ones only those no longer RUNNING.
struct CatchUpSyncTests {
    static let listAPI = "v1.0/workflow/processes/instanceIds/query"
    static let detailAPI = "v1.0/workflow/processInstances"

    /// Finishes `count` running instances in the emulator (one refused, one terminated) without telling anyone,
    /// moves the clock on an hour and adds `newcomers` instances created after the last sync.
    private static func changeBehindTheSyncsBack(
        _ harness: SyncHarness,
        records: [InstanceRecord],
        finishing count: Int,
        newcomers: Int
    ) -> (finished: [String], inserted: [String]) {
        let now = harness.emulator.clock.now() / 1000
        let finished = records.filter { $0.status == .running }.prefix(count).map(\.instanceId)
        for (index, id) in finished.enumerated() {
            harness.emulator.update(id) { instance in
                instance.status = index == 1 ? .terminated : .completed
                instance.result = index == 1 ? nil : index == 0 ? .refuse : .agree
                instance.finishTime = now - 600
            }
        }
        harness.emulator.clock.advance(byMilliseconds: 3_600_000)
        var added = records.suffix(newcomers).map { $0 }
        for index in added.indices {
            added[index].createTime = now + 1800 + Int64(index) * 60
            added[index].instanceId = "CATCHUP\(index)x\(added[index].createTime)"
            added[index].businessId = nil
            added[index].status = .running
            added[index].result = nil
            added[index].finishTime = nil
        }
        harness.emulator.insert(added)
        return (finished, added.map(\.instanceId))
    }

    @Test func aCatchUpListsTheRunningIdsAndFetchesOnlyTheInstancesThatChanged() async throws {
        let records = SyncHarness.newest(200)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.incremental)
        let open = records.filter { $0.status == .running }.count
        #expect(open >= 25, "enough open instances for more than one RUNNING page")

        let changes = Self.changeBehindTheSyncsBack(harness, records: records, finishing: 6, newcomers: 3)
        harness.emulator.resetStatistics()
        let summary = try await harness.engine(settings).run(.catchUp)

        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: .v1), "every instance exact")
        #expect(summary.inserted == 3 && summary.updated == 6)
        #expect(summary.stillRunning == open - 6)
        let statistics = harness.emulator.statistics
        #expect(statistics.requestsPerAPI[Self.detailAPI] == changes.finished.count + changes.inserted.count)
        // One page for the hour since the cursor, then the RUNNING ids: the open ones still running plus the three
        // new ones, 20 to a page, all inside one window.
        let runningPages = (open - 6 + 3 + 19) / 20
        #expect(summary.runningWindows == 1)
        #expect(statistics.requestsPerAPI[Self.listAPI] == 1 + runningPages)
        #expect(summary.quotaCalls == 9 + 1 + runningPages)
    }

    @Test func aSecondCatchUpRightAfterChangesNothingAndCostsOnlyListingPages() async throws {
        let records = SyncHarness.newest(120)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.incremental)
        _ = Self.changeBehindTheSyncsBack(harness, records: records, finishing: 4, newcomers: 2)
        _ = try await harness.engine(settings).run(.catchUp)
        let stored = try SyncHarness.stored(harness.store())

        harness.emulator.resetStatistics()
        let again = try await harness.engine(settings).run(.catchUp)
        #expect(again.fetched == 0)
        #expect(harness.emulator.statistics.requestsPerAPI[Self.detailAPI] == nil)
        #expect(again.quotaCalls == harness.emulator.statistics.requestsPerAPI[Self.listAPI])
        #expect(try SyncHarness.stored(harness.store()) == stored)
    }

    @Test func aFinishedInstanceWhoseEventWasLostIsRepairedByTheNextCatchUp() async throws {
        let records = SyncHarness.newest(80)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.catchUp)
        let id = try #require(records.last { $0.status == .running }?.instanceId)
        harness.emulator.update(id) { instance in
            instance.status = .completed
            instance.result = .agree
            instance.finishTime = harness.emulator.clock.now() / 1000 - 60
        }
        harness.emulator.clock.advance(byMilliseconds: 6 * 3_600_000)
        let summary = try await harness.engine(settings).run(.catchUp)
        #expect(summary.fetched == 1 && summary.updated == 1)
        let repaired = try SyncHarness.stored(harness.store()).first { $0.instanceId == id }
        #expect(repaired?.status == .completed && repaired?.result == .agree)
    }

    @Test func anOpenInstanceDeletedInDingTalkIsRemovedOnceAndNeverFetchedAgain() async throws {
        let records = SyncHarness.newest(80)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.catchUp)
        let id = try #require(records.last { $0.status == .running }?.instanceId)
        #expect(harness.emulator.delete(id))
        harness.emulator.clock.advance(byMilliseconds: 6 * 3_600_000)
        harness.emulator.resetStatistics()
        let log = EventLog()
        let summary = try await harness.engine(settings, events: log.record).run(.catchUp)
        #expect(summary.removed == 1 && summary.failed == 0 && summary.fetched == 0)
        #expect(summary.line.hasSuffix("; 1 deleted in DingTalk and removed"))
        #expect(harness.emulator.statistics.requestsPerAPI[Self.detailAPI] == 1)
        #expect(log.notices.contains("leanstats: removed 1 instance deleted in DingTalk"))
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: .v1), "every instance exact")

        // The next catch-up has nothing open to look for: no detail call, the listing pages only.
        harness.emulator.resetStatistics()
        let again = try await harness.engine(settings).run(.catchUp)
        #expect(again.removed == 0 && again.fetched == 0)
        #expect(harness.emulator.statistics.requestsPerAPI[Self.detailAPI] == nil)
    }

    @Test func theLegacyFamilyKeepsAnInstanceItCannotReadAndSaysSo() async throws {
        // The legacy API's code for a deleted instance is undocumented: a refused detail removes nothing.
        let records = SyncHarness.newest(60)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: .legacy)
        _ = try await harness.engine(settings).run(.incremental)
        let id = try #require(records.last { $0.status == .running }?.instanceId)
        harness.emulator.delete(id)
        let log = EventLog()
        let summary = try await harness.engine(settings, events: log.record).run(.catchUp)
        #expect(summary.removed == 0 && summary.failed == 1)
        #expect(try SyncHarness.stored(harness.store()).contains { $0.instanceId == id })
        #expect(log.notices.contains { $0.contains("skipped instance \(id)") })
    }

    @Test func theLegacyFamilyCannotListByStatusAndReFetchesEveryOpenInstance() async throws {
        let records = SyncHarness.newest(120)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: .legacy)
        _ = try await harness.engine(settings).run(.incremental)
        let open = records.filter { $0.status == .running }.count
        let changes = Self.changeBehindTheSyncsBack(harness, records: records, finishing: 3, newcomers: 2)
        harness.emulator.resetStatistics()
        let log = EventLog()
        let summary = try await harness.engine(settings, events: log.record).run(.catchUp)
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: .legacy))
        #expect(
            harness.emulator.statistics.requestsPerAPI["topapi/processinstance/get"] == open + changes.inserted.count
        )
        #expect(summary.runningWindows == 0)
        #expect(log.notices.contains { $0.contains("legacy API cannot list by status") })
    }

    @Test func theEmulatorsV1ListingReturnsOnlyTheStatusesAskedFor() async throws {
        let records = SyncHarness.newest(90)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let client = DingTalkClient(settings: harness.settings(api: .v1), transport: CurlTransport(timeoutSeconds: 5))
        let now = harness.emulator.clock.now()
        func all(_ statuses: [String]) async throws -> Set<String> {
            var ids = Set<String>()
            var cursor: Int64 = 0
            while true {
                let page = try await client.listInstanceIds(
                    processCode: harness.emulator.options.processCode,
                    start: now - 119 * SyncPlanner.day,
                    end: now,
                    cursor: cursor,
                    statuses: statuses
                )
                ids.formUnion(page.ids)
                guard let next = page.nextCursor else { return ids }
                cursor = next
            }
        }
        let inReach = records.filter { $0.createTime * 1000 >= now - 119 * SyncPlanner.day }
        let running = Set(inReach.filter { $0.status == .running || $0.status == .new }.map(\.instanceId))
        let completed = Set(inReach.filter { $0.status == .completed }.map(\.instanceId))
        #expect(!running.isEmpty && !completed.isEmpty)
        #expect(try await all(["RUNNING"]) == running)
        #expect(try await all(["COMPLETED"]) == completed)
        #expect(try await all([]) == Set(inReach.map(\.instanceId)))
    }

    @Test func runningWindowsCoverTheOpenInstancesWithAsFewWindowsAsPossible() {
        let day = SyncPlanner.day
        let now = 1_000 * day
        let open = [now - 2 * day, now - 100 * day, now - 130 * day, now - 300 * day, now - 400 * day]
        let plan = SyncPlanner.runningWindows(openCreateTimes: open, now: now, processCodes: ["A"])
        #expect(plan.beyondReach == 1)
        #expect(plan.windows.count == 3, "300 days back alone, 130 with 100, 2 alone: 128 days is too long for one")
        for time in open.dropLast() {
            #expect(plan.windows.contains { time >= $0.start && time <= $0.end }, "covers \((now - time) / day) days")
        }
        #expect(plan.windows.allSatisfy { $0.end - $0.start <= SyncPlanner.maxWindow })
        #expect(plan.windows.allSatisfy { $0.start >= SyncPlanner.oldestStart(now: now) && $0.end <= now })
    }
}
