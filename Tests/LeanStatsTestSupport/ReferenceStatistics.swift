import LeanStatsCore

/// A deliberately naive implementation of `docs/definitions.md` over plain records — the original system's SQL with the
/// whole-day fix, written row by row with dictionaries — that the columnar kernels must agree with.
public struct ReferenceStatistics {
    /// The instances after upsert by instance id (later copies replace earlier ones).
    public let records: [InstanceRecord]
    /// The zone that defines days.
    public let clock: ZoneClock

    /// Deduplicates by instance id, the later copy winning.
    public init(records: [InstanceRecord], clock: ZoneClock) {
        var latest: [String: InstanceRecord] = [:]
        var order: [String] = []
        for record in records {
            if latest[record.instanceId] == nil { order.append(record.instanceId) }
            latest[record.instanceId] = record
        }
        self.records = order.map { latest[$0]! }
        self.clock = clock
    }

    /// The records in a period that pass a filter.
    public func selected(_ period: DayRange?, _ filter: StatisticsFilter) -> [InstanceRecord] {
        records.filter { record in
            let day = clock.dayNumber(at: record.createTime)
            if let period, day < period.first || day > period.last { return false }
            return filter.isEmpty || filter.alternatives.contains { meets($0, record) }
        }
    }

    /// Whether a record meets every condition of one filter alternative, compared as strings.
    func meets(_ conditions: FilterConditions, _ record: InstanceRecord) -> Bool {
        if let names = conditions.deptNames {
            let dept = record.originatorDeptName ?? StatisticsFilter.missingDeptName
            if !names.contains(dept) { return false }
        }
        if let categories = conditions.categories {
            let category = record.formValue(categoryFieldName) ?? StatisticsFilter.missingCategory
            if !categories.contains(category) { return false }
        }
        if let statuses = conditions.statuses, !statuses.contains(where: { $0 == record.status }) { return false }
        if let results = conditions.results, !results.contains(where: { $0 == record.result }) { return false }
        if let users = conditions.users {
            guard let id = record.originatorUserId else { return false }
            if !users.contains(id) && !users.contains(where: { latestName(of: id) == $0 }) { return false }
        }
        return true
    }

    /// The statistics of a set of records, computed directly.
    public func statistics(of records: [InstanceRecord], key: String, userId: String? = nil) -> GroupStatistics {
        var result = GroupStatistics(key: key, userId: userId)
        result.count = records.count
        result.passed = records.filter { $0.result == .agree }.count
        result.refused = records.filter { $0.result == .refuse }.count
        result.running = records.filter { $0.status == .running }.count
        result.participants = Set(records.compactMap(\.originatorUserId)).count
        result.depts = Set(records.compactMap(\.originatorDeptId)).count
        let days = records.compactMap { record -> Int? in
            guard record.status == .completed, let finish = record.finishTime else { return nil }
            return clock.dayNumber(at: finish) - clock.dayNumber(at: record.createTime)
        }
        result.completed = days.count
        result.totalDays = days.reduce(0, +)
        result.within30 = days.filter { $0 <= 30 }.count
        result.minDays = days.min()
        result.maxDays = days.max()
        return result
    }

    /// `overview` / `efficiency`.
    public func overview(_ period: DayRange?, _ filter: StatisticsFilter = .none) -> GroupStatistics {
        statistics(of: selected(period, filter), key: "")
    }

    /// `by DIM`, sorted as `docs/definitions.md` §6 says.
    public func grouped(
        by dimension: Dimension,
        _ period: DayRange?,
        _ filter: StatisticsFilter = .none
    )
        -> [GroupStatistics]
    {
        var groups: [String: [InstanceRecord]] = [:]
        for record in selected(period, filter) {
            let key: String?
            switch dimension {
            case .dept:
                key = record.originatorDeptName.flatMap { $0.isEmpty ? nil : $0 } ?? StatisticsEngine.missingDeptLabel
            case .category:
                key =
                    record.formValue(categoryFieldName).flatMap { $0.isEmpty ? nil : $0 }
                    ?? StatisticsEngine.missingCategoryLabel
            case .user: key = record.originatorUserId
            case .month: key = clock.date(at: record.createTime).monthText
            case .status: key = record.status?.code
            case .quarter:
                let date = clock.date(at: record.createTime)
                key = "\(date.year)-Q\((date.month - 1) / 3 + 1)"
            case .year: key = String(clock.date(at: record.createTime).year)
            case .result: key = record.result?.code
            }
            if let key, !key.isEmpty { groups[key, default: []].append(record) }
        }
        var result = groups.map { key, members in
            guard dimension == .user else { return statistics(of: members, key: key) }
            var user = statistics(of: members, key: latestName(of: key) ?? key, userId: key)
            user.userDept = latestDept(of: key)
            return user
        }
        result.sort { lhs, rhs in
            if dimension.isCalendar { return lhs.key < rhs.key }
            if lhs.count != rhs.count { return lhs.count > rhs.count }
            return utf8Precedes(lhs.userId ?? lhs.key, rhs.userId ?? rhs.key)
        }
        return result
    }

    /// The most recent non-empty name of a user id in the whole store.
    public func latestName(of userId: String) -> String? {
        records.filter { $0.originatorUserId == userId && $0.originatorUserName != nil }
            .enumerated().max { ($0.element.createTime, $0.offset) < ($1.element.createTime, $1.offset) }?
            .element.originatorUserName
    }

    /// The department name of a user id's most recent instance in the whole store.
    public func latestDept(of userId: String) -> String? {
        records.filter { $0.originatorUserId == userId }
            .enumerated().max { ($0.element.createTime, $0.offset) < ($1.element.createTime, $1.offset) }?
            .element.originatorDeptName
    }

    /// `top N`, with everyone tied with the `limit`-th place.
    public func top(_ limit: Int, _ period: DayRange?, _ filter: StatisticsFilter = .none) -> [ProposerStatistics] {
        struct Key: Hashable {
            let user: String
            let dept: String?
        }
        var groups: [Key: [InstanceRecord]] = [:]
        for record in selected(period, filter) {
            guard let user = record.originatorUserId, record.originatorUserName != nil else { continue }
            groups[Key(user: user, dept: record.originatorDeptName), default: []].append(record)
        }
        let rows = groups.map { key, members in
            ProposerStatistics(
                userId: key.user,
                userName: latestName(of: key.user) ?? key.user,
                deptName: key.dept,
                count: members.count,
                passed: members.filter { $0.result == .agree }.count
            )
        }
        let sorted = rows.sorted { lhs, rhs in
            if lhs.count != rhs.count { return lhs.count > rhs.count }
            if lhs.userId != rhs.userId { return utf8Precedes(lhs.userId, rhs.userId) }
            return utf8Precedes(lhs.deptName ?? "", rhs.deptName ?? "")
        }
        guard sorted.count > limit, limit > 0 else { return Array(sorted.prefix(max(limit, 0))) }
        let cutOff = sorted[limit - 1].count
        return sorted.filter { $0.count >= cutOff }
    }
}
