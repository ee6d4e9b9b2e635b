import Foundation

/// Answers the statistics of SPEC §3 over one ``InstanceTable`` in one time zone.
///
/// Creating an engine derives the per-row processing days, each user's latest name and the numeric value of each
/// benefit-field entry once (O(n)); every query afterwards finds its rows by binary search on the creation time and
/// runs a parallel kernel over that range. The engine is immutable and safe to share between threads.
public final class StatisticsEngine: Sendable {
    /// The default label of the numeric form field that `benefit_sum` adds up.
    public static let defaultBenefitField = "预计收益(元)"

    /// The data.
    public let table: InstanceTable
    /// The zone that defines days and months.
    public let clock: ZoneClock
    /// How the kernels split work.
    public let options: KernelOptions
    /// The form field that `benefit_sum` adds up.
    public let benefitField: String
    /// calendar-date(finish) − calendar-date(create) for COMPLETED rows with a finish time, else ``noDays``.
    let processingDays: [Int32]
    /// The user-name code of each user id's most recent named instance (0 when never named).
    let latestUserName: [UInt32]
    /// The category codes, or an all-missing column when no instance has a category.
    let categoryCodes: CodeArray
    let categoryDictionary: StringDictionary
    /// The benefit field's codes and, per dictionary entry, its value in cents and whether it is a number.
    let benefitCodes: CodeArray
    let benefitCents: [Int]
    let benefitIsNumber: [Bool]

    /// Marks rows that do not count for processing time.
    static let noDays = Int32.min

    /// Prepares an engine.
    /// - Parameters:
    ///   - table: the data.
    ///   - clock: the zone that defines days and months.
    ///   - options: how the kernels split work.
    ///   - benefitField: the numeric form field `benefit_sum` adds up.
    /// - Complexity: O(n) over the rows.
    public init(
        table: InstanceTable,
        clock: ZoneClock,
        options: KernelOptions = .default,
        benefitField: String = StatisticsEngine.defaultBenefitField
    ) {
        self.table = table
        self.clock = clock
        self.options = options
        self.benefitField = benefitField
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
        let missing = CodeArray.u8([UInt8](repeating: 0, count: table.rowCount))
        categoryCodes = table.category?.codes ?? missing
        categoryDictionary = table.category?.dictionary ?? StringDictionary()
        let benefit = table.formColumn(named: benefitField)
        benefitCodes = benefit?.codes ?? missing
        let entries = benefit?.dictionary ?? StringDictionary()
        let values = (0..<entries.count).map { code in entries[UInt32(code)].flatMap(parseAmount) }
        benefitCents = values.map { value in value.map { Int(($0 * 100).rounded()) } ?? 0 }
        benefitIsNumber = values.map { $0 != nil }
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
    public func overview(
        period: DayRange?,
        filter: StatisticsFilter = .none,
        options: StatisticsOptions = .standard
    ) -> GroupStatistics {
        guard let resolved = resolve(filter) else { return empty("", options) }
        return single(rows: rowRange(for: period), key: "", filter: resolved, options: options)
    }

    /// `by DIM`: the statistics of each group, in the order SPEC §3 gives (count descending then key in UTF-8
    /// order; calendar buckets ascending).
    /// - Parameter distinct: whether to compute `participants` and `depts` (skipping them is faster).
    public func grouped(
        by dimension: Dimension,
        period: DayRange?,
        filter: StatisticsFilter = .none,
        distinct: Bool = true
    ) -> [GroupStatistics] {
        grouped(
            by: .dimension(dimension),
            period: period,
            filter: filter,
            options: distinct ? .standard : [.processing, .outcomes]
        )
    }

    /// `by DIM` or `by field:NAME`: the statistics of each group, ordered as SPEC §3 says (count descending then
    /// key in UTF-8 order; calendar buckets ascending).
    public func grouped(
        by grouping: GroupingKey,
        period: DayRange?,
        filter: StatisticsFilter = .none,
        options: StatisticsOptions = .standard
    ) -> [GroupStatistics] {
        guard let resolved = resolve(filter) else { return [] }
        let rows = rowRange(for: period)
        let key: GroupKey
        let groupCount: Int
        let label: (Int) -> (key: String, userId: String?)
        switch grouping {
        case .dimension(let dimension) where dimension.isCalendar:
            return calendarBuckets(dimension, rows: rows, filter: resolved, options: options)
        case .dimension(.dept):
            key = .deptName
            groupCount = table.deptName.dictionary.count
            label = { (self.table.deptName.dictionary[UInt32($0)] ?? "", nil) }
        case .dimension(.category):
            key = .form(categoryCodes)
            groupCount = categoryDictionary.count
            label = { (self.categoryDictionary[UInt32($0)] ?? "", nil) }
        case .dimension(.user):
            key = .user
            groupCount = table.userId.dictionary.count
            label = { group in
                let id = self.table.userId.dictionary[UInt32(group)] ?? ""
                return (self.latestName(ofUserCode: UInt32(group)) ?? id, id)
            }
        case .dimension(.status):
            key = .status
            groupCount = 6
            label = { (InstanceStatus(rawValue: UInt8($0))?.code ?? "", nil) }
        case .dimension(.result):
            key = .result
            groupCount = 3
            label = { (InstanceResult(rawValue: UInt8($0))?.code ?? "", nil) }
        case .dimension:
            preconditionFailure("calendar dimensions are handled above")
        case .field(let name):
            guard let column = table.formColumn(named: name) else { return [] }
            key = .form(column.codes)
            groupCount = column.dictionary.count
            label = { (column.dictionary[UInt32($0)] ?? "", nil) }
        }
        let state = aggregate(rows: rows, key: key, groupCount: groupCount, filter: resolved, options: options)
        let finalized = state.finalize(key: label)
        var groups = finalized.map(\.statistics)
        if options.contains(.percentiles) {
            let percentiles = daysPercentiles(rows: rows, key: key, groupCount: groupCount, filter: resolved)
            for (index, entry) in finalized.enumerated() {
                groups[index].p50Days = percentiles[entry.group]?.p50
                groups[index].p90Days = percentiles[entry.group]?.p90
            }
        }
        let byUser = grouping == .dimension(.user)
        groups.sort { lhs, rhs in
            if lhs.count != rhs.count { return lhs.count > rhs.count }
            if byUser { return utf8Precedes(lhs.userId ?? "", rhs.userId ?? "") }
            return utf8Precedes(lhs.key, rhs.key)
        }
        return groups
    }

    /// `by month|quarter|year`: each bucket with instances is a contiguous row range; each runs the ungrouped
    /// kernel.
    private func calendarBuckets(
        _ dimension: Dimension,
        rows: Range<Int>,
        filter: ResolvedFilter,
        options: StatisticsOptions
    ) -> [GroupStatistics] {
        let months = dimension == .month ? 1 : (dimension == .quarter ? 3 : 12)
        var result: [GroupStatistics] = []
        var start = rows.lowerBound
        while start < rows.upperBound {
            let date = clock.date(at: table.createTime[start])
            let first = (date.month - 1) / months * months  // zero-based first month of the bucket
            let next =
                first + months >= 12
                ? CivilDate(year: date.year + 1, month: 1, day: 1)
                : CivilDate(year: date.year, month: first + months + 1, day: 1)
            let end = max(
                min(firstRow(atOrAfter: clock.startOfDay(next.dayNumber), from: start), rows.upperBound),
                start + 1
            )
            let key: String
            switch dimension {
            case .quarter: key = "\(date.year)-Q\(first / 3 + 1)"
            case .year: key = String(date.year)
            default: key = date.monthText
            }
            let statistics = single(rows: start..<end, key: key, filter: filter, options: options)
            if statistics.count > 0 { result.append(statistics) }
            start = end
        }
        return result
    }

    /// The statistics of one row range as a single group.
    private func single(
        rows: Range<Int>,
        key: String,
        filter: ResolvedFilter,
        options: StatisticsOptions
    )
        -> GroupStatistics
    {
        let state = aggregate(rows: rows, key: .single, groupCount: 1, filter: filter, options: options)
        var statistics = state.statistics(
            of: 0,
            key: (key, nil),
            userCounts: state.users?.counts(),
            deptCounts: state.depts?.counts()
        )
        if options.contains(.percentiles) {
            let percentiles = daysPercentiles(rows: rows, key: .single, groupCount: 1, filter: filter)
            statistics.p50Days = percentiles[0]?.p50
            statistics.p90Days = percentiles[0]?.p90
        }
        return statistics
    }

    /// An empty result with the optional parts present as asked.
    private func empty(_ key: String, _ options: StatisticsOptions) -> GroupStatistics {
        var statistics = GroupStatistics(key: key)
        if options.contains(.benefit) { statistics.benefitSum = 0 }
        return statistics
    }

    /// `top N`: proposers ranked by count (descending) then user id, grouped by (user id, department name); rows
    /// without a user name are left out and each user is shown with the latest name in the whole store.
    public func topProposers(_ limit: Int, period: DayRange?, filter: StatisticsFilter = .none) -> [ProposerStatistics]
    {
        guard let resolved = resolve(filter), limit > 0 else { return [] }
        var entries = rankProposers(rows: rowRange(for: period), filter: resolved)
        if entries.count > limit {
            // Only pairs whose count reaches the limit-th largest can rank; the rest never need their strings.
            let threshold = rankThreshold(entries.map(\.count), limit: limit)
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

    /// The rows of a period that pass a filter, newest first, for drill-down lists.
    /// - Parameter limit: the most rows to return, `nil` for all.
    public func instanceRows(period: DayRange?, filter: StatisticsFilter = .none, limit: Int? = nil) -> [Int] {
        guard let resolved = resolve(filter) else { return [] }
        var rows: [Int] = []
        withKernelColumns { columns in
            for row in rowRange(for: period).reversed() where columns.passes(row, resolved) {
                rows.append(row)
                if let limit, rows.count >= limit { break }
            }
        }
        return rows
    }

    /// The processing days of a row, `nil` unless it is COMPLETED with a finish time.
    public func processingDays(ofRow row: Int) -> Int? {
        let days = processingDays[row]
        return days == Self.noDays ? nil : Int(days)
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

/// The count of the `limit`-th largest entry, found with a histogram of counts instead of a sort.
/// - Complexity: O(n + largest count).
func rankThreshold(_ counts: [Int], limit: Int) -> Int {
    let largest = counts.max() ?? 0
    var histogram = [Int](repeating: 0, count: largest + 1)
    for count in counts { histogram[count] += 1 }
    var seen = 0
    var count = largest
    while count > 0 {
        seen += histogram[count]
        if seen >= limit { return count }
        count -= 1
    }
    return 0
}

/// A filter in code space, as the kernels test it.
struct ResolvedFilter: Sendable {
    var dept: UInt32?
    var category: UInt32?
    var status: UInt8?
}

/// Parses an amount such as `35662.88`, `1,200` or `500元`; `nil` for anything that is not a number.
func parseAmount(_ text: String) -> Double? {
    // Fast path: plain ASCII numbers, as DingTalk's NumberField and MoneyField send them.
    if text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }) {
        return Double(text).flatMap { $0.isFinite ? $0 : nil }
    }
    var cleaned = text.trimmingCharacters(in: .whitespaces)
    cleaned.removeAll { $0 == "," || $0 == "，" || $0 == "¥" || $0 == "￥" }
    if cleaned.hasSuffix("元") { cleaned.removeLast() }
    guard let value = Double(cleaned), value.isFinite else { return nil }
    return value
}
