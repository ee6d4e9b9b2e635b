/// The jobs `leanstats serve` runs on its own.
public enum ServiceJob: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The incremental sync (`schedule.daily`).
    case dailySync = "daily"
    /// The full sync (`schedule.weekly_full`).
    case weeklyFullSync = "weekly_full"
    /// Last month's workbook, written to `reports/` and mailed (`schedule.monthly_report`).
    case monthlyReport = "monthly_report"

    /// Whether the job syncs from DingTalk (and so needs credentials and the store's writer lock).
    public var isSync: Bool { self != .monthlyReport }

    public var description: String {
        switch self {
        case .dailySync: "daily sync"
        case .weeklyFullSync: "weekly full sync"
        case .monthlyReport: "monthly report"
        }
    }
}

/// The `[schedule]` section: when each job fires, in the configured zone or at an interval (``Schedule``).
public struct ScheduleSettings: Sendable, Equatable {
    /// `schedule.daily`, default `02:00`.
    public var daily = Schedule(days: .daily, hour: 2, minute: 0)
    /// `schedule.weekly_full`, default `sun 03:00`.
    public var weeklyFull = Schedule(days: .weekly(weekday: 0), hour: 3, minute: 0)
    /// `schedule.monthly_report`, default `1 08:00`.
    public var monthlyReport = Schedule(days: .monthly(day: 1), hour: 8, minute: 0)
    /// Whether the sync jobs run (off without DingTalk credentials).
    public var syncEnabled = true
    /// Whether the monthly report job runs.
    public var reportEnabled = true

    /// The defaults of `docs/configuration.md` §4.
    public init() {}

    /// The schedule of a job.
    public func schedule(of job: ServiceJob) -> Schedule {
        switch job {
        case .dailySync: daily
        case .weeklyFullSync: weeklyFull
        case .monthlyReport: monthlyReport
        }
    }

    /// Whether a job is switched on.
    public func isEnabled(_ job: ServiceJob) -> Bool {
        job.isSync ? syncEnabled : reportEnabled
    }
}
