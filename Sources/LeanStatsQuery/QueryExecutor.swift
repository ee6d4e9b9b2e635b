import LeanStatsCore

/// Runs parsed queries against a ``StatisticsEngine`` and shapes the answers as `docs/output-formats.md` §2 prescribes.
public struct QueryExecutor: Sendable {
    /// The engine holding the data.
    public let engine: StatisticsEngine
    /// The date relative periods (`this-month`, `last 90d`) count from; today in the engine's zone by default.
    public let today: CivilDate
    /// Department name → member count from the contacts directory, for `participation_rate`.
    public let headcounts: [String: Int]

    /// Creates an executor over an engine.
    /// - Parameters:
    ///   - engine: the data and its zone.
    ///   - today: the date relative periods count from (default: today in the engine's zone).
    ///   - headcounts: department member counts for `participation_rate` (empty: the metric is `null`).
    public init(engine: StatisticsEngine, today: CivilDate? = nil, headcounts: [String: Int] = [:]) {
        self.engine = engine
        self.today = today ?? CivilDate.today(in: engine.clock)
        self.headcounts = headcounts
    }

    /// Parses and runs one line.
    /// - Throws: ``QueryError`` when the line does not parse, or with code ``QueryError/Code/unknownValue`` when a
    ///   `dept`, `category` or `user` value names nothing the store holds (the column points into `line`).
    public func run(_ line: String) throws(QueryError) -> ResultTable {
        let (query, mentions) = try Query.parse(line)
        try check(mentions)
        return execute(query)
    }

    /// Parses a line and checks its filter values against the store, without running it.
    /// - Throws: as ``run(_:)-(String)``.
    public func validate(_ line: String) throws(QueryError) {
        try check(Query.parse(line).mentions)
    }

    /// Parses and runs one line for printing: a `list` comes back as rows made on demand (``ListRows``),
    /// everything else as a table.
    /// - Throws: as ``run(_:)-(String)``.
    public func stream(_ line: String) throws(QueryError) -> ResultStream {
        let (query, mentions) = try Query.parse(line)
        try check(mentions)
        return streamChecked(query)
    }

    /// Runs a parsed query for printing: a `list` comes back as rows made on demand (``ListRows``), everything
    /// else as a table.
    /// - Throws: as ``run(_:)-(Query)``.
    public func stream(_ query: Query) throws(QueryError) -> ResultStream {
        if !query.filter.alternatives.isEmpty { try check(Query.parse(query.description).mentions) }
        return streamChecked(query)
    }

    /// ``stream(_:)-(Query)`` of a query whose filter values are known to the store.
    private func streamChecked(_ query: Query) -> ResultStream {
        guard case .list(_, let limit) = query.expanded else { return .table(execute(query)) }
        let scope = query.scope
        var rows = list(period: scope.period.dayRange(today: today), filter: scope.filter, limit: limit)
        rows.warnings = coverageWarnings(scope)
        return .list(rows)
    }

    /// Runs a parsed query.
    /// - Throws: ``QueryError`` with code ``QueryError/Code/unknownValue`` when a `dept`, `category` or `user`
    ///   value names nothing the store holds; its column points into the query's canonical text.
    /// - Complexity: O(rows in the period / workers) plus O(groups log groups) to sort.
    public func run(_ query: Query) throws(QueryError) -> ResultTable {
        if !query.filter.alternatives.isEmpty { try check(Query.parse(query.description).mentions) }
        return execute(query)
    }

    /// Refuses filter values that name no department, category or user of the store, suggesting the nearest
    /// one. A value the store knows but that has no instance in the period is fine (the result is empty).
    /// - Complexity: O(values × dictionary bytes); the dictionaries are listed only to suggest.
    private func check(_ mentions: [FilterValueMention]) throws(QueryError) {
        let table = engine.table
        for mention in mentions {
            let known: Bool
            switch mention.kind {
            case .dept:
                known =
                    mention.value == StatisticsFilter.missingDeptName
                    || table.deptName.dictionary.code(of: mention.value) != nil
            case .category:
                known =
                    mention.value == StatisticsFilter.missingCategory
                    || table.category?.dictionary.code(of: mention.value) != nil
            case .user:
                let codes = engine.userCode(of: mention.value)
                known = codes.id != nil || codes.name != nil
            }
            if !known { throw unknownValue(mention) }
        }
    }

    /// The error for a filter value the store does not hold.
    private func unknownValue(_ mention: FilterValueMention) -> QueryError {
        let table = engine.table
        func entries(_ dictionary: StringDictionary?) -> [String] {
            guard let dictionary else { return [] }
            return (1..<max(dictionary.count, 1)).compactMap { dictionary[UInt32($0)] }.sorted(by: utf8Precedes)
        }
        let candidates: [String]
        let what: String
        switch mention.kind {
        case .dept:
            candidates = entries(table.deptName.dictionary) + [StatisticsFilter.missingDeptName]
            what = "departments"
        case .category:
            candidates = entries(table.category?.dictionary) + [StatisticsFilter.missingCategory]
            what = "categories"
        case .user:
            candidates = entries(table.userId.dictionary) + entries(table.userName.dictionary)
            what = "users"
        }
        let shown = candidates.prefix(8).joined(separator: ", ") + (candidates.count > 8 ? ", …" : "")
        return QueryError(
            .unknownValue,
            column: mention.token.column,
            word: mention.token.source,
            "unknown \(mention.kind.rawValue) '\(mention.value)'",
            hint: "no instance in the store has it; known \(what): \(shown)",
            suggestion: Suggestion.nearestName(to: mention.value, among: candidates)
        )
    }

    /// Runs a parsed query whose filter values are known to the store.
    private func execute(_ query: Query) -> ResultTable {
        let scope = query.scope
        let period = scope.period.dayRange(today: today)
        var result: ResultTable
        switch query.expanded {
        case .overview(_, let metrics):
            result = summary(metrics, scope: scope, columns: query.resultColumns)
        case .efficiency:
            result = summary(Metric.efficiency, scope: scope, columns: query.resultColumns)
        case .top(let limit, _):
            let rows = engine.topProposers(limit, period: period, filter: scope.filter).map { row -> [ResultValue] in
                [
                    .string(row.userId), .string(row.userName), row.deptName.map(ResultValue.string) ?? .null,
                    .int(row.count), .int(row.passed), .double(row.passRate),
                ]
            }
            result = ResultTable(columns: query.resultColumns, rows: rows)
        case .breakdown(let breakdown):
            result = run(breakdown, columns: query.resultColumns)
        case .list(_, let limit):
            result = list(period: period, filter: scope.filter, limit: limit).table
        case .describe:
            return describe()
        case .trend:
            preconditionFailure("expanded queries have no trend")
        }
        result.warnings = coverageWarnings(scope)
        return result
    }

    /// Warnings about periods the data does not cover: a period with no instances because it lies outside the
    /// data, and a comparison period the data covers only in part or not at all.
    ///
    /// The data's span is the creation days of the first and the last instance of the whole store (filters do
    /// not narrow it). An empty store gives no warnings.
    /// - Parameter scope: the query's period and comparison.
    /// - Returns: one sentence per finding, in the order current period, comparison period.
    public func coverageWarnings(_ scope: QueryScope) -> [String] {
        guard let period = scope.period.dayRange(today: today), let bounds = engine.table.createTimeBounds else {
            return []
        }
        let data = DayRange(
            first: engine.clock.dayNumber(at: bounds.lowerBound),
            last: engine.clock.dayNumber(at: bounds.upperBound)
        )
        let covered = "the data covers \(Self.text(data)) by creation time"
        var warnings: [String] = []
        if period.last < data.first || period.first > data.last {
            warnings.append("no instances in \(scope.period) (\(Self.text(period))): \(covered)")
        }
        if let comparison = scope.comparison, let base = comparison.dayRange(for: scope.period, today: today) {
            let name = "the comparison period \(comparison) (\(Self.text(base)))"
            if base.last < data.first || base.first > data.last {
                warnings.append(
                    "\(name) holds no instances: \(covered); the _change and _change_pct columns are null"
                )
            } else if base.first < data.first || base.last > data.last {
                warnings.append(
                    "\(name) is only partly covered: \(covered), so the changes compare a shorter span with a longer one"
                )
            }
        }
        return warnings
    }

    /// `2025-11-01..2025-11-30`.
    private static func text(_ range: DayRange) -> String {
        "\(CivilDate(dayNumber: range.first))..\(CivilDate(dayNumber: range.last))"
    }

    // MARK: - Forms

    /// `overview` / `efficiency`: one object, with `vs` columns when the scope compares.
    private func summary(_ metrics: [Metric], scope: QueryScope, columns: [String]) -> ResultTable {
        let options = Self.options(for: metrics)
        let current = engine.overview(
            period: scope.period.dayRange(today: today),
            filter: scope.filter,
            options: options
        )
        let headcount = headcount(group: nil, filter: scope.filter, byDept: false)
        var row = metrics.map { value(of: $0, in: current, headcount: headcount) }
        if let comparison = scope.comparison {
            let previous = engine.overview(
                period: comparison.dayRange(for: scope.period, today: today),
                filter: scope.filter,
                options: options
            )
            row = compare(
                metrics,
                current: current,
                previous: previous,
                headcount: headcount,
                previousHeadcount: headcount
            )
        }
        return ResultTable(columns: columns, rows: [row], isSingleObject: true)
    }

    private func run(_ breakdown: Breakdown, columns: [String]) -> ResultTable {
        let scope = breakdown.scope
        let options = Self.options(for: breakdown.computedMetrics)
        let byDept = breakdown.grouping == .dimension(.dept)
        // Without a comparison, the engine orders and cuts the groups, so that a result is made (and a proposer
        // named) only for those shown.
        let orderedByEngine = scope.comparison == nil && (breakdown.order?.column ?? .value) == .value
        var ranking: GroupRanking?
        if let order = breakdown.order, orderedByEngine {
            // Only a department group has a headcount of its own; the others share the filter's, worked out once.
            let shared = byDept ? nil : headcount(group: nil, filter: scope.filter, byDept: false)
            ranking = GroupRanking(descending: order.direction == .desc) { group in
                let headcount = byDept ? self.headcount(group: group, filter: scope.filter, byDept: true) : shared
                return self.number(self.value(of: order.metric, in: group, headcount: headcount))
            }
        }
        var groups = engine.grouped(
            by: breakdown.grouping,
            period: scope.period.dayRange(today: today),
            filter: scope.filter,
            options: options,
            ranking: ranking,
            limit: orderedByEngine ? breakdown.limit : nil
        )
        let byUser = breakdown.grouping == .dimension(.user)
        var previous: [String: GroupStatistics] = [:]
        if let comparison = scope.comparison {
            let earlier = engine.grouped(
                by: breakdown.grouping,
                period: comparison.dayRange(for: scope.period, today: today),
                filter: scope.filter,
                options: options
            )
            for group in earlier { previous[group.userId ?? group.key] = group }
            // Groups only in the earlier period have no instances now: they come last, and like every tie in
            // count they keep the key's UTF-8 order (the user id's for `by user`), not the earlier period's order.
            let present = Set(groups.map { $0.userId ?? $0.key })
            let absent = earlier.filter { !present.contains($0.userId ?? $0.key) }
                .sorted { utf8Precedes($0.userId ?? $0.key, $1.userId ?? $1.key) }
            for group in absent {
                var empty = GroupStatistics(key: group.key, userId: group.userId)
                if options.contains(.benefit) { empty.benefitSum = 0 }
                groups.append(empty)
            }
        }
        if let order = breakdown.order, !orderedByEngine {
            // Stable: equal values keep the default order; nulls go last either way.
            let column = ComparedColumn.allCases.firstIndex(of: order.column) ?? 0
            // Sorts positions by their values, not the groups themselves: a group is a large value to move.
            let keys = groups.map { group -> Double? in
                let headcount = headcount(group: group, filter: scope.filter, byDept: byDept)
                let sortValue: ResultValue
                if order.column == .value {
                    sortValue = value(of: order.metric, in: group, headcount: headcount)
                } else {
                    let earlier = previous[group.userId ?? group.key] ?? GroupStatistics(key: group.key)
                    sortValue =
                        compare(
                            [order.metric],
                            current: group,
                            previous: earlier,
                            headcount: headcount,
                            previousHeadcount: headcount
                        )[column]
                }
                return number(sortValue)
            }
            let sorted = keys.indices.sorted { left, right in
                switch (keys[left], keys[right]) {
                case (nil, nil): return left < right
                case (nil, _): return false
                case (_, nil): return true
                case (let a?, let b?):
                    if a != b { return order.direction == .asc ? a < b : a > b }
                    return left < right
                }
            }
            groups = sorted.prefix(breakdown.limit ?? sorted.count).map { groups[$0] }
        }
        if let limit = breakdown.limit { groups = Array(groups.prefix(limit)) }
        let rows = groups.map { group -> [ResultValue] in
            let headcount = headcount(group: group, filter: scope.filter, byDept: byDept)
            let values: [ResultValue]
            if scope.comparison != nil {
                let earlier = previous[group.userId ?? group.key] ?? GroupStatistics(key: group.key)
                values = compare(
                    breakdown.metrics,
                    current: group,
                    previous: earlier,
                    headcount: headcount,
                    previousHeadcount: headcount
                )
            } else {
                values = breakdown.metrics.map { value(of: $0, in: group, headcount: headcount) }
            }
            if byUser {
                return [
                    ResultValue.string(group.userId ?? ""), .string(group.key),
                    group.userDept.map(ResultValue.string) ?? .null,
                ] + values
            }
            return [ResultValue.string(group.key)] + values
        }
        return ResultTable(columns: columns, rows: rows)
    }

    /// `list`: one row per instance, newest first.
    private func list(period: DayRange?, filter: StatisticsFilter, limit: Int?) -> ListRows {
        ListRows(
            columns: Query.listColumns,
            selection: engine.instanceRows(period: period, filter: filter, limit: limit),
            engine: engine
        )
    }

    /// `describe`: the row count and time range, then each column with its distinct and missing counts.
    private func describe() -> ResultTable {
        let table = engine.table
        let clock = engine.clock
        func time(_ value: Int64?) -> ResultValue { value.map { .string(clock.format($0)) } ?? .null }
        var rows: [[ResultValue]] = [
            ["instances", "rows", .int(table.rowCount), 0, time(table.createTime.first), time(table.createTime.last)]
        ]
        let finished = table.finishTime.filter { $0 != InstanceTable.missingTime }
        rows.append(["create_time", "time", .null, 0, time(table.createTime.first), time(table.createTime.last)])
        rows.append([
            "finish_time", "time", .null, .int(table.rowCount - finished.count), time(finished.min()),
            time(finished.max()),
        ])
        for (name, bytes) in [("status", table.status), ("result", table.result)] {
            rows.append([
                .string(name), "code", .int(Set(bytes.filter { $0 != 0 }).count), .int(bytes.filter { $0 == 0 }.count),
                .null, .null,
            ])
        }
        for (name, column) in table.namedTextColumns {
            var used = [Bool](repeating: false, count: column.dictionary.count)
            var missing = 0
            for row in 0..<table.rowCount {
                let code = Int(column.codes[row])
                if code == 0 { missing += 1 } else { used[code] = true }
            }
            let type = name.hasPrefix("form:") ? "form field" : "text"
            rows.append([.string(name), .string(type), .int(used.filter { $0 }.count), .int(missing), .null, .null])
        }
        return ResultTable(columns: Query.describe.resultColumns, rows: rows)
    }

    // MARK: - Values

    /// The statistics options the metrics need.
    static func options(for metrics: [Metric]) -> StatisticsOptions {
        metrics.reduce(into: StatisticsOptions()) { $0.formUnion($1.statisticsOptions) }
    }

    /// The headcount behind `participation_rate`: the group's department for `by dept`, else the filtered
    /// departments (when every alternative of the filter names some, the sum over all they name), else the whole
    /// organisation; `nil` when the contacts directory does not say.
    private func headcount(group: GroupStatistics?, filter: StatisticsFilter, byDept: Bool) -> Int? {
        if byDept, let group { return headcounts[group.key] }
        let named = filter.scopedAlternatives.map(\.deptNames)
        if !filter.isEmpty, !named.contains(where: { $0 == nil }) {
            var total = 0
            for dept in Set(named.compactMap { $0 }.joined()) {
                guard let count = headcounts[dept] else { return nil }
                total += count
            }
            return total
        }
        return headcounts.isEmpty ? nil : headcounts.values.reduce(0, +)
    }

    /// `m, m_prev, m_change, m_change_pct` for each metric; the changes are `null` when the earlier period (or the
    /// group in it) has no instances, as there is nothing to change from.
    private func compare(
        _ metrics: [Metric],
        current: GroupStatistics,
        previous: GroupStatistics,
        headcount: Int?,
        previousHeadcount: Int?
    ) -> [ResultValue] {
        metrics.flatMap { metric -> [ResultValue] in
            let now = value(of: metric, in: current, headcount: headcount)
            let before = value(of: metric, in: previous, headcount: previousHeadcount)
            var change = ResultValue.null
            var percent = ResultValue.null
            guard previous.count > 0 else { return [now, before, change, percent] }
            switch (now, before) {
            case (.int(let a), .int(let b)):
                change = .int(a - b)
                if b != 0 { percent = .double(Double(a - b) / Double(abs(b)) * 100) }
            default:
                if let a = number(now), let b = number(before) {
                    change = .double(a - b)
                    if b != 0 { percent = .double((a - b) / abs(b) * 100) }
                }
            }
            return [now, before, change, percent]
        }
    }

    private func number(_ value: ResultValue) -> Double? {
        switch value {
        case .int(let value): Double(value)
        case .double(let value): value.isFinite ? value : nil
        case .string, .null: nil
        }
    }

    /// The value of one metric for one group, as `docs/definitions.md` and the Metrics table of
    /// `docs/query-language.md` define it.
    public func value(of metric: Metric, in group: GroupStatistics, headcount: Int? = nil) -> ResultValue {
        switch metric {
        case .count: .int(group.count)
        case .passed: .int(group.passed)
        case .pass_rate: .double(group.passRate)
        case .participants: .int(group.participants)
        case .depts: .int(group.depts)
        case .avg_days: group.avgDays.map(ResultValue.double) ?? .null
        case .min_days: group.minDays.map(ResultValue.int) ?? .null
        case .max_days: group.maxDays.map(ResultValue.int) ?? .null
        case .completed: .int(group.completed)
        case .within30_rate: group.within30Rate.map(ResultValue.double) ?? .null
        case .refused: .int(group.refused)
        case .running: .int(group.running)
        case .benefit_sum: .double(group.benefitSum ?? 0)
        case .p50_days: group.p50Days.map(ResultValue.double) ?? .null
        case .p90_days: group.p90Days.map(ResultValue.double) ?? .null
        case .participation_rate:
            headcount.flatMap { $0 > 0 ? .double(Double(group.participants) / Double($0) * 100) : nil } ?? .null
        case .age_days: group.ageDays(asOf: today).map(ResultValue.double) ?? .null
        }
    }
}
