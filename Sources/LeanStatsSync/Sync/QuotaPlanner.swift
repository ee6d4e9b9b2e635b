import LeanStatsCore

/// How often the scheduled syncs run, in syncs per average calendar month.
public struct SyncCadence: Sendable, Equatable {
    /// Incremental syncs per month.
    public var incrementalPerMonth: Double
    /// Full syncs per month.
    public var fullPerMonth: Double

    /// Creates a cadence.
    /// - Parameters:
    ///   - incrementalPerMonth: Incremental syncs per month.
    ///   - fullPerMonth: Full syncs per month.
    public init(incrementalPerMonth: Double, fullPerMonth: Double) {
        self.incrementalPerMonth = incrementalPerMonth
        self.fullPerMonth = fullPerMonth
    }

    /// Days between two incremental syncs; `nil` when there are none.
    public var incrementalIntervalDays: Double? {
        incrementalPerMonth > 0 ? QuotaPlanner.daysPerMonth / incrementalPerMonth : nil
    }
}

/// What the store says about the plant's proposals: the inputs of the quota plan (`docs/quota-planning.md`).
public struct ObservedRates: Sendable, Equatable {
    /// Instances created per month, averaged over the last three full months before the newest creation time.
    public var newPerMonth: Double
    /// The calendar months that average covers, `YYYY-MM`, oldest first; empty for an empty store.
    public var months: [String]
    /// Instances whose status is NEW or RUNNING.
    public var open: Int
    /// The median days from creation to finish of completed instances; `nil` when none completed.
    public var medianProcessingDays: Double?
    /// The open instances inside each window a catch-up lists with status RUNNING (one entry per window, for one
    /// process code); empty when unknown, then all ``open`` instances are taken to share one window.
    public var openPerRunningWindow: [Int]
    /// Open instances created more than 365 days before the newest one: a catch-up re-fetches each.
    public var openBeyondReach: Int

    /// Creates rates.
    public init(
        newPerMonth: Double,
        months: [String] = [],
        open: Int,
        medianProcessingDays: Double? = nil,
        openPerRunningWindow: [Int] = [],
        openBeyondReach: Int = 0
    ) {
        self.newPerMonth = newPerMonth
        self.months = months
        self.open = open
        self.medianProcessingDays = medianProcessingDays
        self.openPerRunningWindow = openPerRunningWindow
        self.openBeyondReach = openBeyondReach
    }

    /// ``openPerRunningWindow``, or one window of every open instance in reach when unknown.
    var runningWindowCounts: [Int] {
        openPerRunningWindow.isEmpty ? [max(0, open - openBeyondReach)] : openPerRunningWindow
    }
}

/// One line of the quota plan: a kind of call, its cost per sync and per month.
public struct QuotaComponent: Sendable, Equatable {
    /// What the calls are, e.g. `incremental listing`.
    public var name: String
    /// Calls per sync of its kind.
    public var perSync: Double
    /// Syncs of its kind per month.
    public var syncsPerMonth: Double
    /// Calls per month, rounded up.
    public var monthly: Int { Int((perSync * syncsPerMonth - 1e-9).rounded(.up)) }
}

/// The projected monthly DingTalk usage of a sync cadence, against the budgets.
public struct QuotaPlan: Sendable, Equatable {
    /// The inputs.
    public var rates: ObservedRates
    /// The cadence planned for.
    public var cadence: SyncCadence
    /// One entry per kind of call.
    public var components: [QuotaComponent]
    /// `sync.monthly_call_budget`.
    public var callBudget: Int
    /// `sync.monthly_push_budget`.
    public var pushBudget: Int
    /// Projected Stream/Webhook pushes per month; syncs poll, so none.
    public var projectedPushes = 0
    /// A cadence that fits the call budget when this one does not, from the same model; `nil` when within budget
    /// or when nothing fits.
    public var suggestion: QuotaSuggestion?

    /// Projected calls per month.
    public var monthlyCalls: Int { components.reduce(0) { $0 + $1.monthly } }
    /// Calls left in the budget each month; negative when over it.
    public var headroom: Int { callBudget - monthlyCalls }
    /// Whether the projection exceeds the call budget.
    public var isOverBudget: Bool { monthlyCalls > callBudget }
}

/// A cheaper cadence that fits the budget.
public struct QuotaSuggestion: Sendable, Equatable {
    /// Days between incremental syncs.
    public var incrementalEveryDays: Int
    /// Full syncs per month: the configured number, one (a monthly full sync) or one every 90 days.
    public var fullPerMonth: Double
    /// Whether the configured full syncs are kept.
    public var keepsFullSchedule: Bool
    /// The projected monthly calls with this cadence.
    public var monthlyCalls: Int
}

/// Projects what the configured syncs cost per month, with the cost model of ``SyncEngine``: token, login and
/// contacts calls are free; each listing page returns up to 20 ids; every listed instance that is new or changed
/// costs one detail; every incremental sync re-fetches each open instance; a full sync lists 365 days and fetches
/// every instance it lists (`docs/quota-planning.md`).
public enum QuotaPlanner {
    /// The average calendar month in days.
    public static let daysPerMonth = 365.25 / 12

    /// Reads the planner's inputs from a store's table.
    /// - Parameters:
    ///   - table: The store's instances.
    ///   - zone: The zone whose calendar months are counted.
    /// - Returns: The rates; zero for an empty table.
    /// - Complexity: O(n) for the open and completed rows, O(c log c) for the median of c completed ones.
    public static func rates(of table: InstanceTable, zone: ZoneClock) -> ObservedRates {
        let index = StoreIndex(table: table)
        var durations: [Int64] = []
        let (createTimes, finishTimes) = (table.createTime, table.finishTime)
        for row in 0..<table.rowCount
        where table.status[row] == InstanceStatus.completed.rawValue && finishTimes[row] != InstanceTable.missingTime {
            durations.append(finishTimes[row] - createTimes[row])
        }
        durations.sort()
        var median: Double?
        if !durations.isEmpty {
            let middle = durations.count / 2
            let seconds =
                durations.count % 2 == 1
                ? Double(durations[middle]) : Double(durations[middle - 1] + durations[middle]) / 2
            median = seconds / 86_400
        }
        guard let bounds = table.createTimeBounds else {
            return ObservedRates(newPerMonth: 0, open: 0, medianProcessingDays: median)
        }
        let open = index.openInstances()
        let running = SyncPlanner.runningWindows(
            openCreateTimes: open.map(\.createTime),
            now: bounds.upperBound * 1000,
            processCodes: ["code"]
        )
        let perWindow = running.windows.map { window in
            open.filter { $0.createTime >= window.start && $0.createTime <= window.end }.count
        }
        let newest = zone.date(at: bounds.upperBound)
        let monthNumber = newest.year * 12 + newest.month - 1
        func start(_ number: Int) -> Int64 {
            zone.startOfDay(CivilDate(year: number / 12, month: number % 12 + 1, day: 1).dayNumber)
        }
        let from = start(monthNumber - 3)
        let to = start(monthNumber)
        let created = index.rows(from: from * 1000, through: to * 1000 - 1).count
        return ObservedRates(
            newPerMonth: Double(created) / 3,
            months: (monthNumber - 3..<monthNumber).map { monthText(monthNumber: $0 - 1970 * 12) },
            open: open.count,
            medianProcessingDays: median,
            openPerRunningWindow: perWindow,
            openBeyondReach: running.beyondReach
        )
    }

    /// The calls one incremental sync makes.
    /// - Parameters:
    ///   - newInstances: Instances created since the previous sync (all process codes).
    ///   - open: Open instances in the store, each re-fetched.
    ///   - processCodes: Approval templates; each is listed separately.
    /// - Returns: Listing pages, details of new instances, details of open ones.
    public static func incrementalCalls(
        newInstances: Double,
        open: Int,
        processCodes: Int
    ) -> (listing: Double, newDetails: Double, openDetails: Double) {
        let codes = max(1, processCodes)
        return (Double(codes * pages(newInstances / Double(codes))), newInstances, Double(open))
    }

    /// The calls one full sync makes: every 120-day window of the last 365 days listed for each process code, and
    /// every listed instance fetched (open ones included).
    /// - Parameters:
    ///   - newPerMonth: Instances created per month (all process codes).
    ///   - processCodes: Approval templates.
    /// - Returns: Listing pages and details.
    public static func fullCalls(newPerMonth: Double, processCodes: Int) -> (listing: Double, details: Double) {
        let codes = max(1, processCodes)
        let perDay = newPerMonth / daysPerMonth / Double(codes)
        let year = SyncPlanner.lookback - SyncPlanner.edgeMargin
        let windows = SyncPlanner.windows(from: 0, to: year, processCodes: ["code"])
        let listing = windows.reduce(0) { total, window in
            total + pages(perDay * Double(window.end - window.start + 1) / Double(SyncPlanner.day))
        }
        return (Double(codes * listing), perDay * Double(codes) * Double(year) / Double(SyncPlanner.day))
    }

    /// The calls one catch-up makes (``SyncMode/catchUp``).
    /// - Parameters:
    ///   - newInstances: Instances created since the previous catch-up (all process codes).
    ///   - openPerRunningWindow: Open instances in each RUNNING listing window (``ObservedRates/runningWindowCounts``).
    ///   - beyondReach: Open instances older than 365 days, each re-fetched.
    ///   - changed: Open instances that finished, were terminated or deleted without an event reaching the store;
    ///     each costs a detail (about 0 while Stream events arrive).
    ///   - processCodes: Approval templates; each is listed separately.
    /// - Returns: Listing pages of the new instances, listing pages of the RUNNING ones, and details (changed and
    ///   beyond reach).
    public static func catchUpCalls(
        newInstances: Double,
        openPerRunningWindow: [Int],
        beyondReach: Int,
        changed: Double,
        processCodes: Int
    ) -> (listing: Double, runningListing: Double, details: Double) {
        let codes = max(1, processCodes)
        let running = openPerRunningWindow.reduce(0) { $0 + codes * pages(Double($1) / Double(codes)) }
        return (Double(codes * pages(newInstances / Double(codes))), Double(running), changed + Double(beyondReach))
    }

    /// Projects the monthly calls and pushes of Stream events plus a catch-up every `catchUpHours` hours.
    /// - Parameters:
    ///   - rates: The store's rates.
    ///   - catchUpHours: Hours between catch-ups (`sync.catch_up_hours`).
    ///   - processCodes: Approval templates.
    ///   - callBudget: `sync.monthly_call_budget`.
    ///   - pushBudget: `sync.monthly_push_budget`.
    /// - Returns: The plan, with the configured catch-up interval when it fits the call budget, else the most
    ///   frequent longer one of ``EventQuotaPlan/catchUpLadder`` that does.
    public static func eventPlan(
        rates: ObservedRates,
        catchUpHours: Double,
        processCodes: Int,
        callBudget: Int,
        pushBudget: Int
    ) -> EventQuotaPlan {
        var plan = EventQuotaPlan(
            rates: rates,
            catchUpHours: catchUpHours,
            components: eventComponents(rates: rates, catchUpHours: catchUpHours, processCodes: processCodes),
            projectedPushes: Int((rates.newPerMonth * Double(EventQuotaPlan.pushesPerInstance) - 1e-9).rounded(.up)),
            callBudget: callBudget,
            pushBudget: pushBudget
        )
        plan.suggestedCatchUpHours = EventQuotaPlan.catchUpLadder.filter { Double($0) >= catchUpHours }.first { hours in
            eventComponents(rates: rates, catchUpHours: Double(hours), processCodes: processCodes)
                .reduce(0) { $0 + $1.monthly } <= callBudget
        }
        return plan
    }

    static func eventComponents(rates: ObservedRates, catchUpHours: Double, processCodes: Int) -> [QuotaComponent] {
        let perMonth = daysPerMonth * 24 / max(catchUpHours, 1e-3)
        let calls = catchUpCalls(
            newInstances: rates.newPerMonth / perMonth,
            openPerRunningWindow: rates.runningWindowCounts,
            beyondReach: rates.openBeyondReach,
            changed: 0,
            processCodes: processCodes
        )
        var components = [
            QuotaComponent(name: "event details (new instances)", perSync: rates.newPerMonth, syncsPerMonth: 1),
            QuotaComponent(name: "catch-up listing", perSync: calls.listing, syncsPerMonth: perMonth),
            QuotaComponent(name: "catch-up RUNNING listing", perSync: calls.runningListing, syncsPerMonth: perMonth),
        ]
        if calls.details > 0 {
            components.append(
                QuotaComponent(
                    name: "catch-up re-fetch beyond 365 days",
                    perSync: calls.details,
                    syncsPerMonth: perMonth
                )
            )
        }
        return components
    }

    /// Projects a cadence's monthly calls against the budgets.
    /// - Parameters:
    ///   - rates: The store's rates.
    ///   - cadence: The scheduled syncs.
    ///   - processCodes: Approval templates.
    ///   - callBudget: `sync.monthly_call_budget`.
    ///   - pushBudget: `sync.monthly_push_budget`.
    /// - Returns: The plan, with a suggestion when over the call budget.
    public static func plan(
        rates: ObservedRates,
        cadence: SyncCadence,
        processCodes: Int,
        callBudget: Int,
        pushBudget: Int
    ) -> QuotaPlan {
        var plan = QuotaPlan(
            rates: rates,
            cadence: cadence,
            components: components(rates: rates, cadence: cadence, processCodes: processCodes),
            callBudget: callBudget,
            pushBudget: pushBudget
        )
        if plan.isOverBudget {
            plan.suggestion = suggestion(rates: rates, cadence: cadence, processCodes: processCodes, budget: callBudget)
        }
        return plan
    }

    static func components(rates: ObservedRates, cadence: SyncCadence, processCodes: Int) -> [QuotaComponent] {
        var result: [QuotaComponent] = []
        if let interval = cadence.incrementalIntervalDays {
            let calls = incrementalCalls(
                newInstances: rates.newPerMonth * interval / daysPerMonth,
                open: rates.open,
                processCodes: processCodes
            )
            result += [
                QuotaComponent(
                    name: "incremental listing",
                    perSync: calls.listing,
                    syncsPerMonth: cadence.incrementalPerMonth
                ),
                QuotaComponent(
                    name: "incremental new details",
                    perSync: calls.newDetails,
                    syncsPerMonth: cadence.incrementalPerMonth
                ),
                QuotaComponent(
                    name: "incremental open re-fetch",
                    perSync: calls.openDetails,
                    syncsPerMonth: cadence.incrementalPerMonth
                ),
            ]
        }
        if cadence.fullPerMonth > 0 {
            let calls = fullCalls(newPerMonth: rates.newPerMonth, processCodes: processCodes)
            result += [
                QuotaComponent(name: "full listing", perSync: calls.listing, syncsPerMonth: cadence.fullPerMonth),
                QuotaComponent(name: "full details", perSync: calls.details, syncsPerMonth: cadence.fullPerMonth),
            ]
        }
        return result
    }

    /// The most frequent cadence that fits: incremental every 1…30 days keeping the configured full syncs, then
    /// with one full sync a month, then with one every 90 days.
    static func suggestion(
        rates: ObservedRates,
        cadence: SyncCadence,
        processCodes: Int,
        budget: Int
    ) -> QuotaSuggestion? {
        let fulls = [cadence.fullPerMonth] + [1, daysPerMonth / 90].filter { $0 < cadence.fullPerMonth }
        for full in fulls {
            for days in 1...30 {
                let candidate = SyncCadence(incrementalPerMonth: daysPerMonth / Double(days), fullPerMonth: full)
                let calls = components(rates: rates, cadence: candidate, processCodes: processCodes)
                    .reduce(0) { $0 + $1.monthly }
                if calls <= budget {
                    return QuotaSuggestion(
                        incrementalEveryDays: days,
                        fullPerMonth: full,
                        keepsFullSchedule: full == cadence.fullPerMonth,
                        monthlyCalls: calls
                    )
                }
            }
        }
        return nil
    }

    /// Listing pages for `ids` ids: at least one, since an empty listing is a call too.
    static func pages(_ ids: Double) -> Int {
        max(1, Int((ids / Double(DingTalkWire.pageSize) - 1e-9).rounded(.up)))
    }
}
