import LeanStatsCore

/// Runs parsed queries against a ``StatisticsEngine`` and shapes the answers as SPEC §2 prescribes.
public struct QueryExecutor: Sendable {
    /// The engine holding the data.
    public let engine: StatisticsEngine

    /// Creates an executor over an engine.
    public init(engine: StatisticsEngine) {
        self.engine = engine
    }

    /// Parses and runs one line.
    /// - Throws: ``QueryError`` when the line does not parse.
    public func run(_ line: String) throws(QueryError) -> ResultTable {
        run(try Query(parsing: line))
    }

    /// Runs a parsed query.
    /// - Complexity: O(rows in the period / workers) plus O(groups log groups) to sort.
    public func run(_ query: Query) -> ResultTable {
        let period = query.period.dayRange()
        let filter = query.filter
        switch query.expanded {
        case .overview:
            let statistics = engine.overview(period: period, filter: filter)
            return ResultTable(
                columns: query.resultColumns,
                rows: [Metric.overview.map { value(of: $0, in: statistics) }],
                isSingleObject: true
            )
        case .efficiency:
            let statistics = engine.overview(period: period, filter: filter)
            return ResultTable(
                columns: query.resultColumns,
                rows: [Metric.efficiency.map { value(of: $0, in: statistics) }],
                isSingleObject: true
            )
        case .top(let limit, _):
            let rows = engine.topProposers(limit, period: period, filter: filter).map { row -> [ResultValue] in
                [
                    .string(row.userId), .string(row.userName), row.deptName.map(ResultValue.string) ?? .null,
                    .int(row.count), .int(row.passed), .double(row.passRate),
                ]
            }
            return ResultTable(columns: query.resultColumns, rows: rows)
        case .breakdown(let breakdown):
            return run(breakdown, columns: query.resultColumns)
        case .trend:
            preconditionFailure("expanded queries have no trend")
        }
    }

    private func run(_ breakdown: Breakdown, columns: [String]) -> ResultTable {
        let needsDistinct = breakdown.computedMetrics.contains { $0 == .participants || $0 == .depts }
        var groups = engine.grouped(
            by: breakdown.dimension,
            period: breakdown.scope.period.dayRange(),
            filter: breakdown.scope.filter,
            distinct: needsDistinct
        )
        if let order = breakdown.order {
            // Stable: equal values keep the default order; nulls go last either way.
            let keyed = groups.enumerated().map {
                (offset: $0.offset, group: $0.element, key: sortKey(order.metric, $0.element))
            }
            groups = keyed.sorted { lhs, rhs in
                switch (lhs.key, rhs.key) {
                case (nil, nil): return lhs.offset < rhs.offset
                case (nil, _): return false
                case (_, nil): return true
                case (let a?, let b?):
                    if a != b { return order.direction == .asc ? a < b : a > b }
                    return lhs.offset < rhs.offset
                }
            }.map(\.group)
        }
        if let limit = breakdown.limit { groups = Array(groups.prefix(limit)) }
        let rows = groups.map { group in
            [ResultValue.string(group.key)] + breakdown.metrics.map { value(of: $0, in: group) }
        }
        return ResultTable(columns: columns, rows: rows)
    }

    private func sortKey(_ metric: Metric, _ group: GroupStatistics) -> Double? {
        switch value(of: metric, in: group) {
        case .int(let value): Double(value)
        case .double(let value): value
        case .string, .null: nil
        }
    }

    /// The value of one metric for one group, as SPEC §2/§3 define it.
    public func value(of metric: Metric, in group: GroupStatistics) -> ResultValue {
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
        case .within30_rate: .double(group.within30Rate)
        }
    }
}
