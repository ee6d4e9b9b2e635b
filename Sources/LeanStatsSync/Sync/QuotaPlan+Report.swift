extension QuotaPlan {
    /// The plan as text for `leanstats sync --plan`: the inputs, one line per cost component, the total against the
    /// budget, the pushes, and a cadence that fits when over.
    public var report: String {
        var lines: [String] = []
        var inputs = "inputs: \(Self.number(rates.newPerMonth)) new instances a month"
        if let first = rates.months.first, let last = rates.months.last { inputs += " (\(first)..\(last))" }
        inputs += ", \(rates.open) open now (NEW/RUNNING)"
        if let median = rates.medianProcessingDays {
            inputs += ", median \(Self.number(median)) days from creation to completion"
        }
        lines.append(inputs)
        lines.append("schedule: \(Self.describe(cadence))")
        let width = components.map(\.name.count).max() ?? 0
        for component in components {
            let name = component.name + String(repeating: " ", count: width - component.name.count)
            lines.append(
                "  \(name)  \(Self.number(component.perSync)) calls × \(Self.number(component.syncsPerMonth)) syncs "
                    + "= \(component.monthly) a month"
            )
        }
        lines.append("total: \(monthlyCalls) API calls a month; \(budgetText)")
        lines.append(
            "pushes: \(projectedPushes) projected of \(pushBudget) (sync.monthly_push_budget); syncs poll and use no "
                + "pushes, event delivery (Stream or Webhook) would cost about one push per instance change"
        )
        if isOverBudget {
            if let suggestion {
                lines.append("to fit: " + Self.describe(suggestion))
            } else {
                lines.append(
                    "to fit: no schedule fits; raise sync.monthly_call_budget (DingTalk's paid tiers allow more calls); "
                        + "a full sync alone re-fetches every instance of the last 365 days"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The plan as one line, for `leanstats doctor`.
    public var summary: String {
        var text = "projected \(monthlyCalls) API calls a month (\(Self.describe(cadence))); \(budgetText)"
        if isOverBudget {
            text +=
                suggestion.map { "; " + Self.describe($0) }
                ?? "; no schedule fits, raise sync.monthly_call_budget"
            text += " (leanstats sync --plan)"
        }
        return text
    }

    private var budgetText: String {
        let verdict = isOverBudget ? "\(-headroom) over" : "\(headroom) to spare"
        return "budget \(callBudget) (sync.monthly_call_budget), \(verdict)"
    }

    private static func describe(_ cadence: SyncCadence) -> String {
        guard cadence.incrementalPerMonth > 0 || cadence.fullPerMonth > 0 else { return "no scheduled syncs" }
        var parts: [String] = []
        if let interval = cadence.incrementalIntervalDays {
            parts.append(
                "incremental \(number(cadence.incrementalPerMonth)) times a month (every \(number(interval)) "
                    + (number(interval) == "1" ? "day)" : "days)")
            )
        }
        if cadence.fullPerMonth > 0 { parts.append("full \(number(cadence.fullPerMonth)) times a month") }
        return parts.joined(separator: ", ")
    }

    private static func describe(_ suggestion: QuotaSuggestion) -> String {
        let days = suggestion.incrementalEveryDays
        var text =
            days == 1
            ? "incremental sync daily"
            : "incremental sync every \(days) days (schedule.daily = \"every \(days * 24)h\")"
        if !suggestion.keepsFullSchedule {
            text +=
                suggestion.fullPerMonth == 1
                ? " and a monthly full sync (schedule.weekly_full = \"1 03:00\")"
                : " and a full sync every 90 days (schedule.weekly_full = \"every 2160h\")"
        }
        return text + " would need \(suggestion.monthlyCalls) calls a month"
    }

    /// A count or rate with at most one decimal: `30.4`, `300`.
    static func number(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
