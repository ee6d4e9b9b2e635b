import LeanStatsCore

/// A statistic that a query can ask for, named as it appears in the query language and as a result column.
///
/// The definitions (口径) are those of `docs/definitions.md` and the Metrics table of `docs/query-language.md`;
/// the executor computes them.
public enum Metric: String, Sendable, Hashable, CaseIterable {
    /// Instances in the period.
    case count
    /// Instances whose result is `agree`.
    case passed
    /// `passed / count × 100`, 0 when `count` is 0.
    case pass_rate
    /// Distinct originator user ids.
    case participants
    /// Distinct originator department ids.
    case depts
    /// Mean processing days of completed instances; `null` when none qualifies.
    case avg_days
    /// Fewest processing days of a completed instance; `null` when none qualifies.
    case min_days
    /// Most processing days of a completed instance; `null` when none qualifies.
    case max_days
    /// Completed instances with a finish time (the ones that have processing days).
    case completed
    /// Share of completed instances processed within 30 days, × 100.
    case within30_rate
    /// Instances whose result is `refuse`.
    case refused
    /// Instances still RUNNING.
    case running
    /// Sum of the numeric benefit form field (`预计收益(元)` by default) over instances that give a number.
    case benefit_sum
    /// Median processing days of completed instances (linear interpolation); `null` when none qualifies.
    case p50_days
    /// 90th percentile of processing days of completed instances (linear interpolation); `null` when none qualifies.
    case p90_days
    /// `participants / headcount × 100`, the headcount coming from the contacts directory (the group's department
    /// for `by dept`, else the filtered department or the whole organisation); `null` without a headcount.
    case participation_rate
    /// Mean age of open instances (NEW or RUNNING) in calendar days: today minus the creation date in the
    /// configured zone, counted like processing days; `null` when none is open.
    case age_days

    /// The costlier statistics the metric needs.
    var statisticsOptions: StatisticsOptions {
        switch self {
        case .participants, .participation_rate: .distinct
        case .depts: .departments
        case .benefit_sum: .benefit
        case .p50_days, .p90_days: .percentiles
        case .avg_days, .min_days, .max_days, .completed, .within30_rate: .processing
        case .refused, .running: .outcomes
        case .age_days: .openAge
        case .count, .passed, .pass_rate: []
        }
    }

    /// The metrics of `overview`, in result column order.
    public static let overview: [Metric] = [.count, .passed, .pass_rate, .participants, .depts]

    /// The metrics of `efficiency`, in result column order.
    public static let efficiency: [Metric] = [.avg_days, .min_days, .max_days, .completed, .within30_rate]

    /// The metrics of `trend`, which is `by month count,passed,pass_rate,participants`.
    public static let trend: [Metric] = [.count, .passed, .pass_rate, .participants]

    /// The metrics of a `top N` row after its `user_id, user, dept` key columns.
    public static let top: [Metric] = [.count, .passed, .pass_rate]
}
