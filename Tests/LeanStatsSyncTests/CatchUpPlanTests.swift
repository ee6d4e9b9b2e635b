import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSnapshot
import Testing

@testable import LeanStatsSync

/// The events + catch-up model of the quota planner, and the policy that stretches catch-ups as the budget shrinks.
struct CatchUpPlanTests {
    /// The issue's plant: 1,000 new proposals a month, 300 open.
    static let plant = ObservedRates(newPerMonth: 1000, open: 300, medianProcessingDays: 10)

    private static func plan(hours: Double, callBudget: Int = 5000) -> EventQuotaPlan {
        QuotaPlanner.eventPlan(
            rates: plant,
            catchUpHours: hours,
            processCodes: 1,
            callBudget: callBudget,
            pushBudget: 3000
        )
    }

    @Test func eventsWithACatchUpEvery8HoursFitTheIssuesTargetOf2500CallsAndPushes() {
        let plan = Self.plan(hours: 8)
        // 1,000 event details; 91.3 catch-ups of one listing page and 15 RUNNING pages.
        #expect(plan.components.map(\.monthly) == [1000, 92, 1370])
        #expect(plan.monthlyCalls == 2462 && plan.monthlyCalls <= 2500)
        #expect(plan.projectedPushes == 2000 && plan.projectedPushes <= 2500)
        #expect(plan.callsPerCatchUp == 16)
        #expect(
            plan.report.contains("total: 2462 API calls a month; budget 5000 (sync.monthly_call_budget), 2538 to spare")
        )
        #expect(plan.report.contains("bpms_task_change is not subscribed"))
    }

    @Test func theDefaultIntervalKeepsABacklogAbove300Within2500Calls() {
        #expect(SyncSettings().catchUpHours == 12)
        var rates = Self.plant
        rates.open = 320
        let eight = QuotaPlanner.eventPlan(
            rates: rates,
            catchUpHours: 8,
            processCodes: 1,
            callBudget: 2500,
            pushBudget: 3000
        )
        #expect(eight.isOverCallBudget, "17 calls a catch-up: \(eight.monthlyCalls)")
        let twelve = QuotaPlanner.eventPlan(
            rates: rates,
            catchUpHours: SyncSettings().catchUpHours,
            processCodes: 1,
            callBudget: 2500,
            pushBudget: 3000
        )
        #expect(twelve.monthlyCalls == 1000 + 61 + 974 && !twelve.isOverCallBudget)
    }

    @Test func aCatchUpEvery6HoursFitsTheFreeTierButNot2500AndThePlanSuggests8() {
        let six = Self.plan(hours: 6)
        #expect(six.monthlyCalls == 2949)
        #expect(!six.isOverCallBudget && six.suggestedCatchUpHours == 6, "the configured interval when it fits")
        let tight = Self.plan(hours: 6, callBudget: 2500)
        #expect(tight.isOverCallBudget)
        #expect(tight.suggestedCatchUpHours == 8)
        #expect(tight.report.contains("catch-up: every 8 h would fit (sync.catch_up_hours = 8)"))
        let hopeless = Self.plan(hours: 6, callBudget: 900)
        #expect(hopeless.suggestedCatchUpHours == nil)
        #expect(hopeless.report.contains("no interval fits; the event details alone need 1000 calls"))
    }

    @Test func thePlannedCallsOfACatchUpAreTheCallsACatchUpMakesWhenEventsArrived() async throws {
        let start: Int64 = 1_764_518_400_000  // 2025-12-01 00:00 Beijing
        var plant = try EmulatedPlant(start: start)
        let harness = try SyncHarness(records: plant.backlog)
        defer { harness.tearDown() }
        harness.emulator.clock.set(now: start)
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.incremental)

        // Eight hours of proposals; their events reach the store (a detail for each new one, the finish from the
        // event), so the catch-up has nothing to fetch.
        harness.emulator.clock.advance(byMilliseconds: 8 * 3_600_000)
        let changes = plant.advance(to: harness.emulator.clock.now(), applyingTo: harness.emulator)
        #expect(!changes.created.isEmpty && !changes.finished.isEmpty)
        let loaded = try #require(try SnapshotStore(directory: harness.store()).loadLatest())
        var builder = InstanceTableBuilder(table: loaded.table)
        for record in changes.created + changes.finished {
            _ = builder.upsert(SyncHarness.normalized(record, api: .v1))
        }
        _ = try SnapshotStore(directory: harness.store()).write(builder.build(), metadata: loaded.metadata)

        let table = try #require(try SnapshotStore(directory: harness.store()).loadLatest()?.table)
        let rates = QuotaPlanner.rates(of: table, zone: try ZoneClock(identifier: "Asia/Shanghai"))
        #expect((270...330).contains(rates.open))
        let planned = QuotaPlanner.catchUpCalls(
            newInstances: Double(changes.created.count),
            openPerRunningWindow: rates.runningWindowCounts,
            beyondReach: rates.openBeyondReach,
            changed: 0,
            processCodes: 1
        )
        let summary = try await harness.engine(settings).run(.catchUp)
        #expect(summary.fetched == 0)
        #expect(summary.quotaCalls == Int(planned.listing + planned.runningListing + planned.details))
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: .v1))
    }
}

/// ``CatchUpPolicy``: catch-ups stretch as the month's calls run out; events never stop.
struct CatchUpPolicyTests {
    static let policy = CatchUpPolicy(callBudget: 5000, pushBudget: 3000, catchUpHours: 8)

    private static func usage(calls: Int, pushes: Int = 0, day: Double) -> QuotaUsage {
        QuotaUsage(callsUsed: calls, pushesUsed: pushes, elapsedDays: day, daysInMonth: 31)
    }

    @Test func catchUpsStretchAsTheBudgetShrinksAndPauseBeforeEventDetailsStop() {
        let rates = CatchUpPlanTests.plant
        var last = 0.0
        var intervals: [Double?] = []
        for calls in stride(from: 0, through: 5000, by: 250) {
            let decision = Self.policy.decide(Self.usage(calls: calls, day: 15), rates: rates)
            intervals.append(decision.catchUpEveryHours)
            let hours = decision.catchUpEveryHours ?? .infinity
            #expect(hours >= last, "\(calls) calls used: \(decision.reason)")
            last = hours
            // Event details go on while any call is left: the reserve pauses catch-ups first.
            #expect(decision.fetchesEventDetails == (calls < 5000))
        }
        #expect(intervals.first == 8)
        #expect(intervals.contains(24) && intervals.contains(nil))
        let paused = Self.policy.decide(Self.usage(calls: 4600, day: 15), rates: rates)
        #expect(paused.catchUpEveryHours == nil && paused.fetchesEventDetails)
        #expect(paused.reason.contains("events are still applied"))
        let spent = Self.policy.decide(Self.usage(calls: 5000, day: 15), rates: rates)
        #expect(spent.reason.contains("events still update statuses"))
    }

    @Test func theSameCallsLeftStretchLessLateInTheMonth() {
        let rates = CatchUpPlanTests.plant
        let early = Self.policy.decide(Self.usage(calls: 3000, day: 5), rates: rates)
        let late = Self.policy.decide(Self.usage(calls: 3000, day: 28), rates: rates)
        #expect((early.catchUpEveryHours ?? .infinity) > (late.catchUpEveryHours ?? .infinity))
        #expect(late.catchUpEveryHours == 8, "\(late.reason)")
        #expect(early.reason.contains("stretched from every 8 h"))
    }

    @Test func aFullSyncIsAllowedOnlyWhenItFitsBesideTheCatchUps() {
        let small = ObservedRates(newPerMonth: 30, open: 10)
        #expect(Self.policy.decide(Self.usage(calls: 0, day: 1), rates: small).allowsFullSync)
        #expect(!Self.policy.decide(Self.usage(calls: 0, day: 1), rates: CatchUpPlanTests.plant).allowsFullSync)
    }

    @Test func whenThePushBudgetRunsOutCatchUpsReserveADetailForEachFinish() {
        let rates = CatchUpPlanTests.plant
        let pushing = Self.policy.decide(Self.usage(calls: 3500, pushes: 1000, day: 15), rates: rates)
        let silent = Self.policy.decide(Self.usage(calls: 3500, pushes: 3000, day: 15), rates: rates)
        #expect((silent.catchUpEveryHours ?? .infinity) > (pushing.catchUpEveryHours ?? .infinity))
        #expect(silent.reason.contains("push budget runs out in 0 days"))
    }

    @Test func theNextCatchUpIsDueOneIntervalAfterTheLastAndNeverWhilePaused() {
        let rates = CatchUpPlanTests.plant
        let decision = Self.policy.decide(Self.usage(calls: 0, day: 1), rates: rates)
        let eightHoursLater: Int64 = 1_000 + 8 * 3_600_000
        #expect(decision.nextCatchUp(after: 1_000) == eightHoursLater)
        let paused = Self.policy.decide(Self.usage(calls: 4990, day: 1), rates: rates)
        #expect(paused.nextCatchUp(after: 1_000) == nil)
    }
}
