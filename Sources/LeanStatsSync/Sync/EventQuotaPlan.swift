/// The projected monthly DingTalk usage of Stream events plus periodic catch-ups (``SyncMode/catchUp``), against
/// both budgets (`docs/quota-planning.md`).
///
/// Each new instance costs one detail when its `start` event arrives (events carry no form values); a finish or
/// termination event carries what the store needs and costs no call. Each catch-up lists the new instances since the
/// previous one and the ids still RUNNING; with events arriving, it fetches nothing else.
public struct EventQuotaPlan: Sendable, Equatable {
    /// `bpms_instance_change` pushes per instance: `start`, then `finish` or `terminate`. `bpms_task_change` is not
    /// subscribed: one push per approval step would use up the push budget.
    public static let pushesPerInstance = 2
    /// The catch-up intervals, in hours, a suggestion is chosen from, most frequent first.
    public static let catchUpLadder = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 168]

    /// The inputs.
    public var rates: ObservedRates
    /// Hours between catch-ups (`sync.catch_up_hours`).
    public var catchUpHours: Double
    /// One entry per kind of call.
    public var components: [QuotaComponent]
    /// Projected `bpms_instance_change` pushes per month.
    public var projectedPushes: Int
    /// `sync.monthly_call_budget`.
    public var callBudget: Int
    /// `sync.monthly_push_budget`.
    public var pushBudget: Int
    /// The shortest interval of ``catchUpLadder`` at least as long as ``catchUpHours`` whose calls fit the call
    /// budget; `nil` when none does.
    public var suggestedCatchUpHours: Int?

    /// Projected calls per month.
    public var monthlyCalls: Int { components.reduce(0) { $0 + $1.monthly } }
    /// Catch-ups per month.
    public var catchUpsPerMonth: Double { QuotaPlanner.daysPerMonth * 24 / catchUpHours }
    /// Calls of one catch-up.
    public var callsPerCatchUp: Double {
        components.filter { $0.name.hasPrefix("catch-up") }.reduce(0) { $0 + $1.perSync }
    }
    /// Whether the projected calls exceed the call budget.
    public var isOverCallBudget: Bool { monthlyCalls > callBudget }
    /// Whether the projected pushes exceed the push budget.
    public var isOverPushBudget: Bool { projectedPushes > pushBudget }

    /// The plan as text for `leanstats sync --plan`.
    public var report: String {
        var lines = ["events + catch-up every \(QuotaPlan.number(catchUpHours)) h (sync.catch_up_hours):"]
        let width = components.map(\.name.count).max() ?? 0
        for component in components {
            let name = component.name + String(repeating: " ", count: width - component.name.count)
            let how =
                component.syncsPerMonth == 1
                ? "\(QuotaPlan.number(component.perSync)) a month"
                : "\(QuotaPlan.number(component.perSync)) calls × \(QuotaPlan.number(component.syncsPerMonth)) "
                    + "catch-ups"
            lines.append("  \(name)  \(how) = \(component.monthly) a month")
        }
        lines.append("total: \(monthlyCalls) API calls a month; \(callVerdict)")
        lines.append(
            "pushes: \(projectedPushes) bpms_instance_change pushes a month (start and finish of each instance) of "
                + "\(pushBudget) (sync.monthly_push_budget), "
                + (isOverPushBudget
                    ? "\(projectedPushes - pushBudget) over" : "\(pushBudget - projectedPushes) to spare")
                + "; bpms_task_change is not subscribed (a push per approval step)"
        )
        lines.append("catch-up: " + suggestionText)
        return lines.joined(separator: "\n")
    }

    /// The plan as one clause, for `leanstats doctor`.
    public var summary: String {
        "events + catch-up every \(QuotaPlan.number(catchUpHours)) h would need \(monthlyCalls) calls and "
            + "\(projectedPushes) pushes a month (budgets \(callBudget) and \(pushBudget))"
    }

    private var callVerdict: String {
        let verdict =
            isOverCallBudget ? "\(monthlyCalls - callBudget) over" : "\(callBudget - monthlyCalls) to spare"
        return "budget \(callBudget) (sync.monthly_call_budget), \(verdict)"
    }

    private var suggestionText: String {
        guard let hours = suggestedCatchUpHours else {
            return "no interval fits; the event details alone need \(components.first?.monthly ?? 0) calls, raise "
                + "sync.monthly_call_budget"
        }
        let verb = Double(hours) == catchUpHours ? "fits" : "would fit"
        return "every \(hours) h \(verb) (sync.catch_up_hours = \(hours)), "
            + "\(QuotaPlan.number(callsPerCatchUp)) calls each"
    }
}
