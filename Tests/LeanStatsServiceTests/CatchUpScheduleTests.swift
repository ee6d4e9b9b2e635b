import LeanStatsCore
import LeanStatsService
import LeanStatsSync
import Testing

/// The scheduler asks the catch-up policy when the next catch-up is due.
struct CatchUpScheduleTests {
    let scheduler = Scheduler(settings: ScheduleSettings(), zone: try! ZoneClock(identifier: "Asia/Shanghai"))
    let policy = CatchUpPolicy(callBudget: 5000, pushBudget: 3000, catchUpHours: 8)
    let rates = ObservedRates(newPerMonth: 1000, open: 300)

    private func decision(callsUsed: Int) -> CatchUpDecision {
        policy.decide(QuotaUsage(callsUsed: callsUsed, pushesUsed: 0, elapsedDays: 10, daysInMonth: 30), rates: rates)
    }

    @Test func aCatchUpIsDueOneIntervalAfterTheLastOneAndLaterWhenTheBudgetIsTight() {
        let last: Int64 = 1_764_518_400
        let relaxed = decision(callsUsed: 0)
        #expect(!scheduler.isCatchUpDue(now: last + 8 * 3600 - 1, lastCatchUp: last, decision: relaxed))
        #expect(scheduler.isCatchUpDue(now: last + 8 * 3600, lastCatchUp: last, decision: relaxed))
        let tight = decision(callsUsed: 3600)
        #expect((tight.catchUpEveryHours ?? 0) > 8, "\(tight.reason)")
        #expect(!scheduler.isCatchUpDue(now: last + 8 * 3600, lastCatchUp: last, decision: tight))
        #expect(scheduler.isCatchUpDue(now: last, lastCatchUp: nil, decision: tight), "the first one at once")
    }

    @Test func noCatchUpIsDueWhileThePolicyPausesThem() {
        let paused = decision(callsUsed: 4800)
        #expect(paused.catchUpEveryHours == nil)
        #expect(!scheduler.isCatchUpDue(now: .max / 2000, lastCatchUp: 0, decision: paused))
        #expect(!scheduler.isCatchUpDue(now: 0, lastCatchUp: nil, decision: paused))
    }
}
