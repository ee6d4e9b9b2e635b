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

    /// Exact distinct proposers (`participants`).
    public static let distinct = StatisticsOptions(rawValue: 1)
    /// The sum of the numeric benefit form field (`benefit_sum`).
    public static let benefit = StatisticsOptions(rawValue: 2)
    /// Median and 90th percentile of processing days (`p50_days`, `p90_days`).
    public static let percentiles = StatisticsOptions(rawValue: 4)
    /// Processing-time figures: `completed`, `avg_days`, `min_days`, `max_days`, `within30_rate`.
    public static let processing = StatisticsOptions(rawValue: 8)
    /// `refused` and `running` counts.
    public static let outcomes = StatisticsOptions(rawValue: 16)
    /// Exact distinct originator department ids (`depts`), with or without ``distinct``: a filtered query of `depts`
    /// alone reads no user column.
    public static let departments = StatisticsOptions(rawValue: 32)
    /// The number of open instances (NEW or RUNNING) and the sum of their creation days (`age_days`).
    public static let openAge = StatisticsOptions(rawValue: 64)
    /// What every statistic of `docs/definitions.md` needs: distinct counts, processing time and outcomes.
    public static let standard: StatisticsOptions = [.distinct, .departments, .processing, .outcomes]
    /// Everything.
    public static let all: StatisticsOptions = [
        .distinct, .departments, .benefit, .percentiles, .processing, .outcomes, .openAge,
    ]
}

/// Row filters shared by every statistic: alternatives joined by `or`, each a set of conditions joined by `and`.
///
/// `where dept in (生产部, 质量部) and status=RUNNING or category=安全改善` is two alternatives: the first with a
/// department and a status condition, the second with a category condition. A filter without alternatives keeps
/// every instance. Values are names as the store holds them; ``missingDeptName`` and ``missingCategory`` stand for
/// instances without a department name or category.
public struct StatisticsFilter: Sendable, Hashable {
    /// The department value that selects instances without a department name.
    public static let missingDeptName = StatisticsEngine.missingDeptLabel
    /// The category value that selects instances without a category.
    public static let missingCategory = StatisticsEngine.missingCategoryLabel

    /// The alternatives; an instance passes when it meets every condition of at least one of them.
    public var alternatives: [FilterConditions]
    /// Only instances whose originator department name is one of these (the departments a dashboard viewer may
    /// see), or no such limit for `nil`. It narrows every alternative (``scopedAlternatives``), so no `or` can
    /// reach past it.
    public var deptScope: Set<String>?

    /// Creates a filter from alternatives joined by `or`.
    /// - Parameter alternatives: the alternatives; none keeps every instance.
    public init(alternatives: [FilterConditions]) {
        self.alternatives = alternatives
    }

    /// Creates a filter of one alternative; omitted parts match everything.
    /// - Parameters:
    ///   - deptName: only instances whose originator department has this name.
    ///   - category: only instances whose `提案类别` is this value.
    ///   - status: only instances with this status.
    ///   - deptScope: only instances of these departments (``deptScope``), or no such limit for `nil`.
    public init(
        deptName: String? = nil,
        category: String? = nil,
        status: InstanceStatus? = nil,
        deptScope: Set<String>? = nil
    ) {
        let conditions = FilterConditions(
            deptNames: deptName.map { [$0] },
            categories: category.map { [$0] },
            statuses: status.map { [$0] }
        )
        alternatives = conditions.isEmpty ? [] : [conditions]
        self.deptScope = deptScope
    }

    /// A filter that keeps every instance.
    public static let none = StatisticsFilter()

    /// Whether the filter keeps every instance.
    public var isEmpty: Bool { deptScope == nil && keepsEveryAlternative }

    /// Whether the alternatives alone keep every instance.
    private var keepsEveryAlternative: Bool { alternatives.isEmpty || alternatives.contains(where: \.isEmpty) }

    /// The alternatives with ``deptScope`` applied: each keeps only the scope's departments, and one without a
    /// department condition gets the scope as its condition. A department outside the scope drops out; an
    /// alternative left with none matches nothing.
    public var scopedAlternatives: [FilterConditions] {
        guard let scope = deptScope else { return alternatives }
        let inScope = scope.filter { $0 != Self.missingDeptName }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return (keepsEveryAlternative ? [FilterConditions()] : alternatives).map { conditions in
            var scoped = conditions
            scoped.deptNames = conditions.deptNames.map { $0.filter(scope.contains) } ?? inScope
            return scoped
        }
    }

    /// The department when the filter is one alternative that names exactly one, else `nil`.
    public var deptName: String? { single(\.deptNames) }
    /// The category when the filter is one alternative that names exactly one, else `nil`.
    public var category: String? { single(\.categories) }
    /// The status when the filter is one alternative that names exactly one, else `nil`.
    public var status: InstanceStatus? { single(\.statuses) }

    private func single<Value>(_ values: KeyPath<FilterConditions, [Value]?>) -> Value? {
        guard alternatives.count == 1, let values = alternatives[0][keyPath: values], values.count == 1 else {
            return nil
        }
        return values[0]
    }
}

/// The conditions of one alternative of a ``StatisticsFilter``, all of which an instance must meet; `nil` means
/// "any", a list means "one of these".
public struct FilterConditions: Sendable, Hashable {
    /// Originator department names (``StatisticsFilter/missingDeptName`` for none).
    public var deptNames: [String]?
    /// `提案类别` values (``StatisticsFilter/missingCategory`` for none).
    public var categories: [String]?
    /// Statuses.
    public var statuses: [InstanceStatus]?
    /// Originator user ids or names; a name selects the users whose latest name it is.
    public var users: [String]?
    /// Results; `nil` in the list selects instances without a result.
    public var results: [InstanceResult?]?

    /// Creates conditions; omitted ones match everything.
    /// - Parameters:
    ///   - deptNames: department names.
    ///   - categories: categories.
    ///   - statuses: statuses.
    ///   - users: user ids or names.
    ///   - results: results, `nil` in the list for none.
    public init(
        deptNames: [String]? = nil,
        categories: [String]? = nil,
        statuses: [InstanceStatus]? = nil,
        users: [String]? = nil,
        results: [InstanceResult?]? = nil
    ) {
        self.deptNames = deptNames
        self.categories = categories
        self.statuses = statuses
        self.users = users
        self.results = results
    }

    /// Whether no condition is set, so every instance meets them.
    public var isEmpty: Bool {
        deptNames == nil && categories == nil && statuses == nil && users == nil && results == nil
    }
}
