/// What the statistics group by.
public enum Dimension: String, Sendable, CaseIterable, Hashable {
    /// The originator's department name; instances without one are left out.
    case dept
    /// The `提案类别` form field; instances without it are left out.
    case category
    /// The originator user id (shown with the user's latest name).
    case user
    /// `YYYY-MM` of the creation time in the configured zone.
    case month
    /// The DingTalk status code.
    case status
    /// `YYYY-QN` of the creation time in the configured zone.
    case quarter
    /// `YYYY` of the creation time in the configured zone.
    case year
    /// The approval result (`agree`, `refuse`); instances without one are left out.
    case result

    /// Whether the groups are calendar buckets of the creation time (contiguous row ranges, sorted by time).
    public var isCalendar: Bool { self == .month || self == .quarter || self == .year }
}

/// What a `by` query groups on: a built-in dimension or any form field by its label.
public enum GroupingKey: Sendable, Hashable {
    /// A built-in dimension.
    case dimension(Dimension)
    /// The value of a form field, e.g. `field:提案类别`; instances without it are left out.
    case field(String)
}

/// Optional, costlier parts of a statistics query.
public struct StatisticsOptions: OptionSet, Sendable, Hashable {
    public let rawValue: Int

    /// Creates options from raw bits.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Exact distinct counts: `participants`, and `depts` together with ``departments``.
    public static let distinct = StatisticsOptions(rawValue: 1)
    /// The sum of the numeric benefit form field (`benefit_sum`).
    public static let benefit = StatisticsOptions(rawValue: 2)
    /// Median and 90th percentile of processing days (`p50_days`, `p90_days`).
    public static let percentiles = StatisticsOptions(rawValue: 4)
    /// Processing-time figures: `completed`, `avg_days`, `min_days`, `max_days`, `within30_rate`.
    public static let processing = StatisticsOptions(rawValue: 8)
    /// `refused` and `running` counts.
    public static let outcomes = StatisticsOptions(rawValue: 16)
    /// With ``distinct``, also distinct originator department ids (`depts`); without it, `depts` stays 0 and the
    /// kernels read no department column for it.
    public static let departments = StatisticsOptions(rawValue: 32)
    /// What every statistic of SPEC §3 needs: distinct counts, processing time and outcomes.
    public static let standard: StatisticsOptions = [.distinct, .departments, .processing, .outcomes]
    /// Everything.
    public static let all: StatisticsOptions = [
        .distinct, .departments, .benefit, .percentiles, .processing, .outcomes,
    ]
}

/// Row filters shared by every statistic; `nil` means "any".
public struct StatisticsFilter: Sendable, Hashable {
    /// Only instances whose originator department has this name.
    public var deptName: String?
    /// Only instances whose `提案类别` is this value.
    public var category: String?
    /// Only instances with this status.
    public var status: InstanceStatus?
    /// Only instances whose originator department name is one of these: the departments a dashboard viewer may
    /// see. It narrows whatever the other parts select; the kernels test it as a set of dictionary codes.
    public var deptNames: Set<String>?

    /// Creates a filter; omitted parts match everything.
    public init(
        deptName: String? = nil,
        category: String? = nil,
        status: InstanceStatus? = nil,
        deptNames: Set<String>? = nil
    ) {
        self.deptName = deptName
        self.category = category
        self.status = status
        self.deptNames = deptNames
    }

    /// A filter that keeps every instance.
    public static let none = StatisticsFilter()
}
