/// Answers the statistics of SPEC §3 over one ``InstanceTable`` in one time zone.
///
/// Creating an engine derives the per-row processing days and each user's latest name once (O(n)); every query
/// afterwards finds its rows by binary search on the creation time and runs a parallel kernel over that range.
/// The engine is immutable and safe to share between threads.
public final class StatisticsEngine: Sendable {
    /// The data.
    public let table: InstanceTable
    /// The zone that defines days and months.
    public let clock: ZoneClock
    /// How the kernels split work.
    public let options: KernelOptions
    /// calendar-date(finish) − calendar-date(create) for COMPLETED rows with a finish time, else ``noDays``.
    let processingDays: [Int32]
    /// The user-name code of each user id's most recent named instance (0 when never named).
    let latestUserName: [UInt32]
    /// The category codes, or an empty column when no instance has a category.
    let categoryCodes: CodeArray
    let categoryDictionary: StringDictionary

    /// Marks rows that do not count for processing time.
    static let noDays = Int32.min

    /// Prepares an engine.
    /// - Complexity: O(n) over the rows.
    public init(table: InstanceTable, clock: ZoneClock, options: KernelOptions = .default) {
        self.table = table
        self.clock = clock
        self.options = options
        var days = [Int32](repeating: Self.noDays, count: table.rowCount)
        let completed = InstanceStatus.completed.rawValue
        for row in 0..<table.rowCount where table.status[row] == completed {
            let finish = table.finishTime[row]
            if finish == InstanceTable.missingTime { continue }
            days[row] = Int32(clock.dayNumber(at: finish) - clock.dayNumber(at: table.createTime[row]))
        }
        processingDays = days
        var latest = [UInt32](repeating: 0, count: table.userId.dictionary.count)
        for row in 0..<table.rowCount {
            let name = table.userName.codes[row]
            if name != 0 { latest[Int(table.userId.codes[row])] = name }
        }
        latestUserName = latest
        if let category = table.category {
            categoryCodes = category.codes
            categoryDictionary = category.dictionary
        } else {
            categoryCodes = .u8([UInt8](repeating: 0, count: table.rowCount))
            categoryDictionary = StringDictionary()
        }
    }

    /// The rows whose creation day lies in `period` (all rows for `nil`).
    /// - Complexity: O(log n).
    public func rowRange(for period: DayRange?) -> Range<Int> {
        guard let period else { return 0..<table.rowCount }
        guard period.first <= period.last else { return 0..<0 }
        let low = firstRow(atOrAfter: clock.startOfDay(period.first))
        let high = firstRow(atOrAfter: clock.startOfDay(period.last + 1))
        return low..<max(low, high)
    }

    /// The first row created at or after an instant.
    func firstRow(atOrAfter instant: Int64, from start: Int = 0) -> Int {
        var low = start
        var high = table.rowCount
        while low < high {
            let mid = (low + high) >> 1
            if table.createTime[mid] < instant { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The user's most recent name, falling back to the id.
    public func latestName(ofUserCode code: UInt32) -> String? {
        table.userName.dictionary[latestUserName[Int(code)]]
    }

    // MARK: - Statistics

    /// `overview` and `efficiency`: all statistics of the instances in `period` that pass `filter`.
    public func overview(period: DayRange?, filter: StatisticsFilter = .none) -> GroupStatistics {
        guard let resolved = resolve(filter) else { return GroupStatistics(key: "") }
        let state = aggregate(
            rows: rowRange(for: period),
            key: .single,
            groupCount: 1,
            filter: resolved,
            distinct: true
        )
        return state.statistics(
            of: 0,
            key: ("", nil),
            userCounts: state.users?.counts(),
            deptCounts: state.depts?.counts()
        )
    }

    /// `by DIM`: the statistics of each group, in the order SPEC §3 gives (count descending then key in UTF-8
    /// order; months ascending).
    /// - Parameter distinct: whether to compute `participants` and `depts` (skipping them is faster).
    public func grouped(
        by dimension: Dimension,
        period: DayRange?,
        filter: StatisticsFilter = .none,
        distinct: Bool = true
    ) -> [GroupStatistics] {
        guard let resolved = resolve(filter) else { return [] }
        let rows = rowRange(for: period)
        if dimension == .month { return monthly(rows: rows, filter: resolved, distinct: distinct) }
        let key: GroupKey
        let groupCount: Int
        let label: (Int) -> (key: String, userId: String?)
        switch dimension {
        case .dept:
            key = .deptName
            groupCount = table.deptName.dictionary.count
            label = { (self.table.deptName.dictionary[UInt32($0)] ?? "", nil) }
        case .category:
            key = .category
            groupCount = categoryDictionary.count
            label = { (self.categoryDictionary[UInt32($0)] ?? "", nil) }
        case .user:
            key = .user
            groupCount = table.userId.dictionary.count
            label = { group in
                let id = self.table.userId.dictionary[UInt32(group)] ?? ""
                return (self.latestName(ofUserCode: UInt32(group)) ?? id, id)
            }
        case .status:
            key = .status
            groupCount = 6
            label = { (InstanceStatus(rawValue: UInt8($0))?.code ?? "", nil) }
        case .month:
            preconditionFailure("handled above")
        }
        let state = aggregate(rows: rows, key: key, groupCount: groupCount, filter: resolved, distinct: distinct)
        var groups = state.finalize(key: label)
        groups.sort { lhs, rhs in
            if lhs.count != rhs.count { return lhs.count > rhs.count }
            if dimension == .user { return utf8Precedes(lhs.userId ?? "", rhs.userId ?? "") }
            return utf8Precedes(lhs.key, rhs.key)
        }
        return groups
    }

    /// `by month` / `trend`: each month with instances is a contiguous row range; each runs the ungrouped kernel.
    private func monthly(rows: Range<Int>, filter: ResolvedFilter, distinct: Bool) -> [GroupStatistics] {
        var result: [GroupStatistics] = []
        var start = rows.lowerBound
        while start < rows.upperBound {
            let date = clock.date(at: table.createTime[start])
            let next =
                date.month == 12
                ? CivilDate(year: date.year + 1, month: 1, day: 1)
                : CivilDate(year: date.year, month: date.month + 1, day: 1)
            let end = min(firstRow(atOrAfter: clock.startOfDay(next.dayNumber), from: start), rows.upperBound)
            let state = aggregate(
                rows: start..<max(end, start + 1),
                key: .single,
                groupCount: 1,
                filter: filter,
                distinct: distinct
            )
            let statistics = state.statistics(
                of: 0,
                key: (date.monthText, nil),
                userCounts: state.users?.counts(),
                deptCounts: state.depts?.counts()
            )
            if statistics.count > 0 { result.append(statistics) }
            start = max(end, start + 1)
        }
        return result
    }

    /// `top N`: proposers ranked by count (descending) then user id, grouped by (user id, department name); rows
    /// without a user name are left out and each user is shown with the latest name in the whole store.
    public func topProposers(_ limit: Int, period: DayRange?, filter: StatisticsFilter = .none) -> [ProposerStatistics]
    {
        guard let resolved = resolve(filter), limit > 0 else { return [] }
        var entries = rankProposers(rows: rowRange(for: period), filter: resolved)
        if entries.count > limit {
            // Only pairs whose count reaches the limit-th largest can rank; the rest never need their strings.
            let threshold = entries.map(\.count).sorted(by: >)[limit - 1]
            entries.removeAll { $0.count < threshold }
        }
        var ranked = entries.map { entry in
            let id = table.userId.dictionary[entry.user] ?? ""
            return ProposerStatistics(
                userId: id,
                userName: latestName(ofUserCode: entry.user) ?? id,
                deptName: table.deptName.dictionary[entry.dept],
                count: entry.count,
                passed: entry.passed
            )
        }
        ranked.sort { lhs, rhs in
            if lhs.count != rhs.count { return lhs.count > rhs.count }
            if lhs.userId != rhs.userId { return utf8Precedes(lhs.userId, rhs.userId) }
            return utf8Precedes(lhs.deptName ?? "", rhs.deptName ?? "")
        }
        return Array(ranked.prefix(limit))
    }

    // MARK: - Filters

    /// Turns filter strings into codes once per query; `nil` when a value is absent from the store, so the
    /// filter can match nothing.
    private func resolve(_ filter: StatisticsFilter) -> ResolvedFilter? {
        var resolved = ResolvedFilter()
        if let name = filter.deptName {
            guard let code = table.deptName.dictionary.code(of: name) else { return nil }
            resolved.dept = code
        }
        if let category = filter.category {
            guard let code = categoryDictionary.code(of: category) else { return nil }
            resolved.category = code
        }
        resolved.status = filter.status?.rawValue
        return resolved
    }
}

/// A filter in code space, as the kernels test it.
struct ResolvedFilter: Sendable {
    var dept: UInt32?
    var category: UInt32?
    var status: UInt8?
}
