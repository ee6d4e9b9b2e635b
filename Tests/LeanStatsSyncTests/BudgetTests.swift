import Foundation
import LeanStatsCore
import LeanStatsEmulator
import Testing

@testable import LeanStatsSync

/// The monthly call budget and DingTalk's quota stop a sync cleanly, after the most valuable work.
struct BudgetTests {
    @Test func aSyncOverTheBudgetFetchesTheNewestWindowFirstAndStopsCleanly() async throws {
        let records = SyncHarness.newest(300)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        var settings = harness.settings(api: .v1)
        settings.monthlyCallBudget = 120
        let summary = try await harness.engine(settings).run(.full)
        #expect(summary.stop?.code == .budgetReached)
        #expect(summary.usedThisMonth == 120)
        #expect(harness.emulator.statistics.quotaCalls <= 120)
        let stored = try SyncHarness.stored(harness.store())
        #expect(stored.count > 50)
        let newestWindowStart = (harness.emulator.clock.now() - SyncPlanner.maxWindow) / 1000
        #expect(stored.allSatisfy { $0.createTime >= newestWindowStart - 3600 }, "only the newest window was fetched")

        settings.monthlyCallBudget = 5000
        let resumed = try await harness.engine(settings).run(.incremental)
        #expect(resumed.resumed)
        #expect(resumed.stop == nil)
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: .v1))
        #expect(harness.emulator.statistics.quotaCalls <= records.count + 30, "the resumed sync did not start over")
    }

    @Test func aSyncThatWouldExceedTheBudgetSaysSoBeforeItStarts() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(100))
        defer { harness.tearDown() }
        var settings = harness.settings(api: .legacy)
        let first = try await harness.engine(settings).run(.full)
        settings.monthlyCallBudget = first.usedThisMonth + 30
        let log = EventLog()
        let second = try await harness.engine(settings) { log.record($0) }.run(.full)
        #expect(second.stop?.code == .budgetReached)
        #expect(second.stop?.message.contains("sync.monthly_call_budget") == true)
        #expect(log.notices.contains { $0.contains("needs about") && $0.contains("only 30") })
        #expect(second.quotaCalls == 30)
    }

    @Test func dingTalksMonthlyQuotaStopsTheSyncCleanlyAndKeepsWhatWasFetched() async throws {
        var options = SyncHarness.fastEmulator()
        options.monthlyQuota = 80
        let harness = try SyncHarness(records: SyncHarness.newest(150), options: options)
        defer { harness.tearDown() }
        let summary = try await harness.engine(harness.settings(api: .legacy)).run(.full)
        #expect(summary.stop?.code == .quotaExhausted)
        #expect(summary.stop?.message.contains("quota") == true)
        let stored = try SyncHarness.stored(harness.store())
        #expect(stored.count == summary.fetched)
        #expect(stored.count >= 70)
        let state = try SyncState(metadata: try SyncHarness.metadata(harness.store()))
        #expect(state.run != nil, "the unfinished run is kept for the next sync")
    }

    @Test func aDryRunEstimatesTheCostWithoutCallingDingTalk() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(200))
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        let empty = try harness.engine(settings).estimate(.full)
        #expect(empty.expectedListed == nil)
        #expect(empty.windows == 4 && empty.calls == 4)
        _ = try await harness.engine(settings).run(.full)
        harness.emulator.resetStatistics()
        let estimate = try harness.engine(settings).estimate(.incremental)
        let open = SyncHarness.newest(200).filter { $0.status == .running }.count
        #expect(estimate.openInstances == open)
        #expect(estimate.windows == 1)
        #expect(estimate.calls >= open + 1 && estimate.calls <= open + 5)
        #expect(estimate.used > 200 && estimate.left == 5000 - estimate.used)
        let full = try harness.engine(settings).estimate(.full)
        #expect(full.calls >= 200 && full.calls <= 200 + 20 + 4)
        #expect(harness.emulator.statistics.requests == 0)
    }
}
