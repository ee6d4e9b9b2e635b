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
