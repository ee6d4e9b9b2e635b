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
}

/// Row filters shared by every statistic; `nil` means "any".
public struct StatisticsFilter: Sendable, Hashable {
    /// Only instances whose originator department has this name.
    public var deptName: String?
    /// Only instances whose `提案类别` is this value.
    public var category: String?
    /// Only instances with this status.
    public var status: InstanceStatus?

    /// Creates a filter; omitted parts match everything.
    public init(deptName: String? = nil, category: String? = nil, status: InstanceStatus? = nil) {
        self.deptName = deptName
        self.category = category
        self.status = status
    }

    /// A filter that keeps every instance.
    public static let none = StatisticsFilter()
}
