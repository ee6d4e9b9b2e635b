import LeanStatsSync

extension ScheduleSettings {
    /// The sync jobs' cadence for the quota plan: how often `daily` (incremental) and `weekly_full` (full) fire in an
    /// average month; none without DingTalk credentials.
    public var syncCadence: SyncCadence {
        guard syncEnabled else { return SyncCadence(incrementalPerMonth: 0, fullPerMonth: 0) }
        return SyncCadence(incrementalPerMonth: daily.firesPerMonth, fullPerMonth: weeklyFull.firesPerMonth)
    }
}

extension Schedule {
    /// How often the schedule fires in an average calendar month (a monthly day past a month's end still fires once).
    public var firesPerMonth: Double {
        switch rule {
        case .interval(let seconds): QuotaPlanner.daysPerMonth * 86_400 / Double(seconds)
        case .calendar(.daily, _): QuotaPlanner.daysPerMonth
        case .calendar(.weekly, _): QuotaPlanner.daysPerMonth / 7
        case .calendar(.monthly, _): 1
        }
    }
}

extension Scheduler {
    /// Whether a catch-up sync (``SyncMode/catchUp``) is due while Stream events keep the store fresh: one interval
    /// of the policy's decision after the last catch-up, at once when there was none, and never while the
    /// decision pauses catch-ups (events are still applied).
    /// - Parameters:
    ///   - now: Unix seconds.
    ///   - lastCatchUp: When the last catch-up finished, Unix seconds; `nil` when none ran yet.
    ///   - decision: ``CatchUpPolicy``'s decision for this month (`SyncEngine.catchUpDecision()`).
    /// - Returns: Whether to start a catch-up now.
    public func isCatchUpDue(now: Int64, lastCatchUp: Int64?, decision: CatchUpDecision) -> Bool {
        guard let lastCatchUp else { return decision.catchUpEveryHours != nil }
        guard let next = decision.nextCatchUp(after: lastCatchUp * 1000) else { return false }
        return now * 1000 >= next
    }
}
