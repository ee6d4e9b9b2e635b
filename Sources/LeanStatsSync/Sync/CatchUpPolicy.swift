/// What the month's budgets have spent so far, the input of ``CatchUpPolicy``.
public struct QuotaUsage: Sendable, Equatable {
    /// Quota-bearing calls counted this calendar month (the sync's ledger, `sync.quota`).
    public var callsUsed: Int
    /// Stream/Webhook pushes received this calendar month.
    public var pushesUsed: Int
    /// Days of the month gone, e.g. 9.5 at noon on the 10th.
    public var elapsedDays: Double
    /// Days in the month.
    public var daysInMonth: Double

    /// Creates a usage.
    public init(callsUsed: Int, pushesUsed: Int, elapsedDays: Double, daysInMonth: Double) {
        self.callsUsed = callsUsed
        self.pushesUsed = pushesUsed
        self.elapsedDays = elapsedDays
        self.daysInMonth = daysInMonth
    }

    /// Days of the month still to come.
    public var remainingDays: Double { max(0, daysInMonth - elapsedDays) }
}

/// How often catch-ups may run for the rest of the month, and why.
public struct CatchUpDecision: Sendable, Equatable {
    /// Hours between catch-ups; `nil` when none may run before the month ends (events are still applied).
    public var catchUpEveryHours: Double?
    /// Whether a new instance's event may still fetch its detail; `false` only when the call budget is spent, and
    /// then events still update statuses from their own fields and the details wait for next month's catch-up.
    public var fetchesEventDetails: Bool
    /// Whether a full sync fits beside the reserve and the catch-ups.
    public var allowsFullSync: Bool
    /// One line for logs and `doctor`.
    public var reason: String

    /// When the next catch-up is due.
    /// - Parameter last: When the last catch-up finished, epoch milliseconds.
    /// - Returns: Epoch milliseconds, or `nil` while catch-ups are paused.
    public func nextCatchUp(after last: Int64) -> Int64? {
        catchUpEveryHours.map { last + Int64(($0 * 3_600_000).rounded()) }
    }
}

/// Decides how often catch-ups may run so the month's calls last: events are never stopped, a reserve is kept
/// for the details of the new instances still to come this month, and catch-ups stretch from `sync.catch_up_hours`
/// to 12 h, daily, every 2, 3 or 7 days as the calls left shrink, then pause until the month ends
/// (`docs/quota-planning.md`). Pure: the usage and the rates are arguments.
public struct CatchUpPolicy: Sendable, Equatable {
    /// `sync.monthly_call_budget`.
    public var callBudget: Int
    /// `sync.monthly_push_budget`.
    public var pushBudget: Int
    /// `sync.catch_up_hours`: the interval while the budget allows it.
    public var catchUpHours: Double
    /// Approval templates.
    public var processCodes: Int

    /// The intervals a catch-up stretches to, in hours, after `sync.catch_up_hours`.
    public static let stretches: [Double] = [12, 24, 48, 72, 168]

    /// Creates a policy.
    public init(callBudget: Int, pushBudget: Int, catchUpHours: Double, processCodes: Int = 1) {
        self.callBudget = callBudget
        self.pushBudget = pushBudget
        self.catchUpHours = catchUpHours
        self.processCodes = processCodes
    }

    /// A policy with the budgets and interval of the sync settings.
    public init(settings: SyncSettings) {
        self.init(
            callBudget: settings.monthlyCallBudget,
            pushBudget: settings.monthlyPushBudget,
            catchUpHours: settings.catchUpHours,
            processCodes: max(1, settings.processCodes.count)
        )
    }

    /// Decides the catch-up interval for the rest of the month.
    /// - Parameters:
    ///   - usage: Calls and pushes used so far this month, and where in the month we are.
    ///   - rates: The store's observed rates.
    /// - Returns: The decision with its reason.
    public func decide(_ usage: QuotaUsage, rates: ObservedRates) -> CatchUpDecision {
        let days = usage.remainingDays
        let left = max(0, callBudget - usage.callsUsed)
        let newPerDay = rates.newPerMonth / QuotaPlanner.daysPerMonth
        // Pushes left cover events for part of the remaining days; after that every finish needs a catch-up detail.
        let pushesPerDay = newPerDay * Double(EventQuotaPlan.pushesPerInstance)
        let pushesLeft = Double(max(0, pushBudget - usage.pushesUsed))
        let eventDays = pushesPerDay > 0 ? min(days, pushesLeft / pushesPerDay) : days
        let missedChanges = newPerDay * (days - eventDays)
        let reserve = Int((newPerDay * days + missedChanges).rounded(.up))
        let available = Double(left - reserve)
        func cost(_ hours: Double) -> (each: Double, month: Double) {
            let count = days * 24 / hours
            let calls = QuotaPlanner.catchUpCalls(
                newInstances: newPerDay * hours / 24,
                openPerRunningWindow: rates.runningWindowCounts,
                beyondReach: rates.openBeyondReach,
                changed: 0,
                processCodes: processCodes
            )
            let each = calls.listing + calls.runningListing + calls.details
            return (each, each * count.rounded(.up))
        }
        let candidates = [catchUpHours] + Self.stretches.filter { $0 > catchUpHours }
        let chosen = candidates.first { cost($0).month <= available }
        let full = QuotaPlanner.fullCalls(newPerMonth: rates.newPerMonth, processCodes: processCodes)
        let spare = available - (chosen.map { cost($0).month } ?? 0)
        let leftText = "\(left) of \(callBudget) calls left with \(QuotaPlan.number(days)) days to go"
        let reserveText = "\(reserve) kept for new-instance details"
        var reason: String
        switch chosen {
        case let hours? where hours == catchUpHours:
            reason = "catch-up every \(QuotaPlan.number(hours)) h: \(leftText), \(reserveText)"
        case let hours?:
            reason =
                "catch-up stretched from every \(QuotaPlan.number(catchUpHours)) h to every \(QuotaPlan.number(hours)) "
                + "h: \(leftText), \(reserveText)"
        case nil:
            reason =
                left == 0
                ? "catch-up paused and event details deferred until next month: the call budget is used up; events "
                    + "still update statuses"
                : "catch-up paused until next month: \(leftText), \(reserveText); events are still applied"
        }
        if eventDays < days {
            reason +=
                "; the push budget runs out in \(QuotaPlan.number(eventDays)) days, then the catch-ups fetch each "
                + "finished instance"
        }
        return CatchUpDecision(
            catchUpEveryHours: chosen,
            fetchesEventDetails: left > 0,
            allowsFullSync: spare >= full.listing + full.details,
            reason: reason
        )
    }
}
