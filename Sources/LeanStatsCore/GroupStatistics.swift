/// The statistics of one group (or of the whole period for `overview` and `efficiency`), finalised.
///
/// Counts are exact integers; rates and averages are derived from them in ``GroupStatistics`` accessors, so the
/// same rows always give the same numbers whatever the parallel split.
public struct GroupStatistics: Sendable, Hashable {
    /// The group's display key: department name, category, user name, `YYYY-MM` or status code.
    public var key: String
    /// The user id, for `by user` groups.
    public var userId: String?
    /// The user's department (the department name of the user's most recent instance in the whole store), for
    /// `by user` groups; `nil` when that instance has none.
    public var userDept: String?
    /// Instances.
    public var count: Int = 0
    /// Instances with result `agree`.
    public var passed: Int = 0
    /// Instances with result `refuse`.
    public var refused: Int = 0
    /// Instances with status RUNNING.
    public var running: Int = 0
    /// Sum of the numeric benefit form field over instances that have a number there; `nil` unless asked for.
    public var benefitSum: Double?
    /// Median processing days (linear interpolation); `nil` unless asked for or when nothing completed.
    public var p50Days: Double?
    /// 90th percentile of processing days (linear interpolation); `nil` unless asked for or when nothing completed.
    public var p90Days: Double?
    /// Distinct originator user ids.
    public var participants: Int = 0
    /// Distinct originator department ids.
    public var depts: Int = 0
    /// COMPLETED instances with a finish time (the base of the processing-time figures).
    public var completed: Int = 0
    /// Completed instances processed within 30 days.
    public var within30: Int = 0
    /// Sum of processing days over completed instances.
    public var totalDays: Int = 0
    /// Shortest processing time in days, `nil` when nothing completed.
    public var minDays: Int?
    /// Longest processing time in days, `nil` when nothing completed.
    public var maxDays: Int?
    /// Open instances (status NEW or RUNNING); 0 unless asked for.
    public var open: Int = 0
    /// Sum of the open instances' creation days (day numbers in the configured zone); 0 unless asked for.
    public var openCreatedDays: Int = 0

    /// Creates an empty group.
    public init(key: String, userId: String? = nil) {
        self.key = key
        self.userId = userId
    }

    /// passed / count × 100, 0 when there are no instances.
    public var passRate: Double { count == 0 ? 0 : Double(passed) / Double(count) * 100 }
    /// Mean processing days, `nil` when nothing completed.
    public var avgDays: Double? { completed == 0 ? nil : Double(totalDays) / Double(completed) }
    /// Share of completed instances processed within 30 days × 100, `nil` when nothing completed (a share of
    /// nothing is unknown, not 0).
    public var within30Rate: Double? { completed == 0 ? nil : Double(within30) / Double(completed) * 100 }

    /// Mean age of the open instances in calendar days: `today` minus the creation date, as processing days are
    /// counted; `nil` when none is open.
    /// - Parameter today: the date the ages count to.
    public func ageDays(asOf today: CivilDate) -> Double? {
        open == 0 ? nil : Double(today.dayNumber &* open &- openCreatedDays) / Double(open)
    }
}

/// One row of the proposer ranking (个人排行榜): a user in one department.
public struct ProposerStatistics: Sendable, Hashable {
    /// The originator user id.
    public var userId: String
    /// The user's most recent name in the whole store.
    public var userName: String
    /// The department name of these instances, `nil` when missing.
    public var deptName: String?
    /// Instances.
    public var count: Int
    /// Instances with result `agree`.
    public var passed: Int

    /// Creates a ranking row.
    public init(userId: String, userName: String, deptName: String?, count: Int, passed: Int) {
        self.userId = userId
        self.userName = userName
        self.deptName = deptName
        self.count = count
        self.passed = passed
    }

    /// passed / count × 100, 0 when there are no instances.
    public var passRate: Double { count == 0 ? 0 : Double(passed) / Double(count) * 100 }
}

/// Whether `a` sorts before `b` in UTF-8 byte order, the tie-break order of every ranking.
@inline(__always)
public func utf8Precedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

/// An order of `by` groups by one of their figures, for `order by METRIC … limit N`: with it the engine keeps only
/// the first groups in that order and names only those.
public struct GroupRanking {
    /// The figure a group is ranked by, `nil` when it has none. A `by user` group is ranked before it is named, so
    /// the figure must not depend on its key.
    public var value: (GroupStatistics) -> Double?
    /// Whether larger values come first. Groups without a value come last either way; equal values keep the
    /// default order (count descending, then key).
    public var descending: Bool

    /// Creates a ranking.
    public init(descending: Bool, value: @escaping (GroupStatistics) -> Double?) {
        self.value = value
        self.descending = descending
    }
}
