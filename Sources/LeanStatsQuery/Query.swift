import LeanStatsCore

/// One parsed line of the query language.
///
/// ``init(parsing:)`` reads a line; ``description`` prints the canonical form (lower-case keywords, single
/// spaces, metrics joined by `,`, values quoted only where needed), which parses back to an equal value. The
/// grammar is in <doc:QueryLanguage>.
public enum Query: Sendable, Hashable, CustomStringConvertible {
    /// `overview [METRICS] PERIOD [FILTERS]`: one object with the metrics, ``Metric/overview`` unless others are
    /// listed.
    case overview(QueryScope, metrics: [Metric] = Metric.overview)
    /// `by DIM METRICS PERIOD [FILTERS] [order by METRIC [asc|desc]] [limit N]`: one row per group.
    case breakdown(Breakdown)
    /// `top N PERIOD [FILTERS]`: the N proposers with the most instances (N ≥ 1).
    case top(Int, QueryScope)
    /// `efficiency PERIOD [FILTERS]`: one object with ``Metric/efficiency``.
    case efficiency(QueryScope)
    /// `trend PERIOD [FILTERS]`: shorthand for `by month count,passed,pass_rate,participants PERIOD [FILTERS]`.
    case trend(QueryScope)
    /// `list PERIOD [FILTERS] [limit N]`: the instances themselves, newest first (drill-down).
    case list(QueryScope, limit: Int?)
    /// `describe`: the columns, form fields, time range and row count of the store.
    case describe

    /// Parses one line of the query language.
    /// - Parameter line: the query text.
    /// - Throws: ``QueryError`` pointing at the first word that does not fit, saying what was expected.
    public init(parsing line: String) throws(QueryError) {
        self = try Self.parse(line).query
    }

    /// Parses one line and returns, besides the query, the filter values that must name something in the store,
    /// with their place in the line.
    static func parse(_ line: String) throws(QueryError) -> (query: Query, mentions: [FilterValueMention]) {
        var parser = try QueryParser(line: line)
        let query = try parser.parseQuery()
        return (query, parser.mentions)
    }

    /// A filter value as the canonical form writes it: as is when it reads back as one word, else in double quotes
    /// with `"` and `\` escaped.
    /// - Parameter value: the value.
    /// - Returns: the word or the quoted value.
    public static func canonicalValue(_ value: String) -> String { QueryLexer.quoteIfNeeded(value) }

    /// The period and filters, which every query form has.
    public var scope: QueryScope {
        switch self {
        case .overview(let scope, _), .top(_, let scope), .efficiency(let scope), .trend(let scope),
            .list(let scope, _):
            scope
        case .breakdown(let breakdown): breakdown.scope
        case .describe: QueryScope(period: .all)
        }
    }

    /// The period the query covers.
    public var period: PeriodSpec { scope.period }

    /// The row filter of the query (``StatisticsFilter/none`` when it has no `where`).
    public var filter: StatisticsFilter { scope.filter }

    /// The query narrowed to instances of some departments, whatever its own filters say: the dashboard's way of
    /// keeping a viewer to the departments they may see. The restriction is not part of the query's text.
    /// - Parameter departments: The department names whose instances may count.
    /// - Returns: The same query with ``StatisticsFilter/deptScope`` set on its scope (`describe` is unchanged).
    public func restricted(to departments: Set<String>) -> Query {
        func narrowed(_ scope: QueryScope) -> QueryScope {
            var scope = scope
            scope.filter.deptScope = departments.intersection(scope.filter.deptScope ?? departments)
            return scope
        }
        switch self {
        case .overview(let scope, let metrics): return .overview(narrowed(scope), metrics: metrics)
        case .breakdown(var breakdown):
            breakdown.scope = narrowed(breakdown.scope)
            return .breakdown(breakdown)
        case .top(let count, let scope): return .top(count, narrowed(scope))
        case .efficiency(let scope): return .efficiency(narrowed(scope))
        case .trend(let scope): return .trend(narrowed(scope))
        case .list(let scope, let limit): return .list(narrowed(scope), limit: limit)
        case .describe: return .describe
        }
    }

    /// The query with shorthands spelled out: `trend` becomes its `by month` breakdown, the rest stay as they are.
    public var expanded: Query {
        guard case .trend(let scope) = self else { return self }
        return .breakdown(Breakdown(dimension: .month, metrics: Metric.trend, scope: scope))
    }

    /// The result's keys in order (`docs/output-formats.md` §2): the dimension and metric names for `by` and `trend`,
    /// the fixed columns of `overview`, `top` and `efficiency`.
    public var resultColumns: [String] {
        switch self {
        case .overview(let scope, let metrics): scope.columns(for: metrics)
        case .efficiency(let scope): scope.columns(for: Metric.efficiency)
        case .top: ["user_id", "user", "dept"] + Metric.top.map(\.rawValue)
        case .breakdown(let breakdown) where breakdown.grouping == .dimension(.user):
            ["user_id", "user", "dept"] + breakdown.scope.columns(for: breakdown.metrics)
        case .breakdown(let breakdown): [breakdown.keyColumn] + breakdown.scope.columns(for: breakdown.metrics)
        case .trend: [Dimension.month.rawValue] + Metric.trend.map(\.rawValue)
        case .list: Self.listColumns
        case .describe: ["column", "type", "distinct", "missing", "first", "last"]
        }
    }

    /// The columns of a `list` row.
    public static let listColumns = [
        "business_id", "title", "user", "dept", "category", "status", "result", "created", "finished", "days",
    ]

    /// Whether the result is one object (`overview`, `efficiency`) rather than a list of rows.
    public var isSingleObject: Bool {
        switch self {
        case .overview, .efficiency: true
        case .breakdown, .top, .trend, .list, .describe: false
        }
    }

    /// The canonical text of the query.
    public var description: String {
        switch self {
        case .overview(let scope, let metrics):
            metrics == Metric.overview
                ? "overview \(scope)" : "overview \(metrics.map(\.rawValue).joined(separator: ",")) \(scope)"
        case .breakdown(let breakdown): breakdown.description
        case .top(let count, let scope): "top \(count) \(scope)"
        case .efficiency(let scope): "efficiency \(scope)"
        case .trend(let scope): "trend \(scope)"
        case .list(let scope, let limit): "list \(scope)" + (limit.map { " limit \($0)" } ?? "")
        case .describe: "describe"
        }
    }
}

/// The period and the filters of a query: the rows it looks at.
public struct QueryScope: Sendable, Hashable, CustomStringConvertible {
    /// The days the query covers.
    public var period: PeriodSpec
    /// Which instances count (`where …`).
    public var filter: StatisticsFilter
    /// The period to compare with (`vs …`), if any.
    public var comparison: Comparison?

    /// Creates a scope.
    /// - Parameters:
    ///   - period: the days the query covers.
    ///   - filter: which instances count; all of them by default.
    ///   - comparison: the period to compare with, if any.
    public init(period: PeriodSpec, filter: StatisticsFilter = .none, comparison: Comparison? = nil) {
        self.period = period
        self.filter = filter
        self.comparison = comparison
    }

    /// The result columns of metrics: each metric, and with `vs` also `_prev`, `_change` (current − previous)
    /// and `_change_pct` (change relative to previous × 100).
    func columns(for metrics: [Metric]) -> [String] {
        guard comparison != nil else { return metrics.map(\.rawValue) }
        return metrics.flatMap { metric in
            ComparedColumn.allCases.map { metric.rawValue + $0.rawValue }
        }
    }

    /// The canonical text: the period, then `where` with the alternatives joined by `or`, each with its conditions
    /// in the order dept, category, status, user, result.
    public var description: String {
        let base = comparison.map { "\(period) vs \($0)" } ?? period.description
        guard !filter.alternatives.isEmpty else { return base }
        return "\(base) where " + filter.alternatives.map(FilterKey.text(of:)).joined(separator: " or ")
    }
}

/// A `by` query: metrics per group of a dimension.
public struct Breakdown: Sendable, Hashable, CustomStringConvertible {
    /// What the rows are grouped by: a dimension or a form field.
    public var grouping: GroupingKey
    /// The metrics of each row, in column order, without repetitions; never empty.
    public var metrics: [Metric]
    /// The period and filters.
    public var scope: QueryScope
    /// The requested sort; `nil` for the default order of `docs/definitions.md` §6 (count descending, ties by
    /// key; months in calendar order).
    public var order: SortOrder?
    /// The greatest number of rows to return, at least 1; `nil` for all.
    public var limit: Int?

    /// Creates a breakdown.
    /// - Parameters:
    ///   - dimension: what the rows are grouped by.
    ///   - metrics: the metrics of each row (non-empty, no repetitions).
    ///   - scope: the period and filters.
    ///   - order: the sort, or `nil` for the default order.
    ///   - limit: the greatest number of rows, or `nil` for all.
    public init(
        dimension: Dimension,
        metrics: [Metric],
        scope: QueryScope,
        order: SortOrder? = nil,
        limit: Int? = nil
    ) {
        self.init(grouping: .dimension(dimension), metrics: metrics, scope: scope, order: order, limit: limit)
    }

    /// Creates a breakdown by a dimension or a form field (`by field:NAME`).
    public init(
        grouping: GroupingKey,
        metrics: [Metric],
        scope: QueryScope,
        order: SortOrder? = nil,
        limit: Int? = nil
    ) {
        self.grouping = grouping
        self.metrics = metrics
        self.scope = scope
        self.order = order
        self.limit = limit
    }

    /// The built-in dimension, `nil` for a form field.
    public var dimension: Dimension? {
        if case .dimension(let dimension) = grouping { return dimension }
        return nil
    }

    /// The name of the key column: the dimension, or the form field's label.
    public var keyColumn: String {
        switch grouping {
        case .dimension(let dimension): dimension.rawValue
        case .field(let name): name
        }
    }

    /// How the grouping is written: `dept`, or `field:NAME` (quoted when needed).
    var groupingText: String {
        switch grouping {
        case .dimension(let dimension): dimension.rawValue
        case .field(let name):
            QueryLexer.quoteIfNeeded(name) == name ? "field:\(name)" : "field:\(QueryLexer.quoteIfNeeded(name))"
        }
    }

    /// The metrics the executor must compute: the selected ones, then the sort metric when it is not among them
    /// (it orders the rows without becoming a column).
    public var computedMetrics: [Metric] {
        guard let metric = order?.metric, !metrics.contains(metric) else { return metrics }
        return metrics + [metric]
    }

    /// The canonical text, e.g. `by dept count,pass_rate 2025-11 order by pass_rate desc limit 5`.
    public var description: String {
        var text = "by \(groupingText) \(metrics.map(\.rawValue).joined(separator: ",")) \(scope)"
        if let order { text += " order by \(order)" }
        if let limit { text += " limit \(limit)" }
        return text
    }
}

/// An `order by METRIC[_prev|_change|_change_pct] [asc|desc]` clause.
///
/// The metric may be any metric, also one that is not selected: the rows are then sorted by it without it being
/// shown. With `vs`, the rows may also be sorted by a comparison column of a metric (`count_change`). Rows with
/// equal values (and rows whose value is `null`, which sort last in either direction) keep the default order
/// among themselves.
public struct SortOrder: Sendable, Hashable, CustomStringConvertible {
    /// The metric whose values order the rows.
    public var metric: Metric
    /// Which of the metric's columns orders the rows: its value, or with `vs` a comparison column.
    public var column: ComparedColumn
    /// Whether larger values come first.
    public var direction: SortDirection

    /// Creates a sort order.
    /// - Parameters:
    ///   - metric: the metric whose values order the rows.
    ///   - direction: the direction; descending (largest first) by default, as in rankings.
    ///   - column: the metric's value, or with `vs` one of its comparison columns.
    public init(_ metric: Metric, _ direction: SortDirection = .desc, column: ComparedColumn = .value) {
        self.metric = metric
        self.direction = direction
        self.column = column
    }

    /// The name of the sorting column, e.g. `pass_rate` or `count_change`.
    public var columnName: String { metric.rawValue + column.rawValue }

    /// The canonical text, the direction always spelled out: `pass_rate desc`, `count_change asc`.
    public var description: String { "\(columnName) \(direction.rawValue)" }
}

/// The columns a metric has in a `vs` comparison, named by the suffix they add to the metric's name.
public enum ComparedColumn: String, Sendable, Hashable, CaseIterable {
    /// The value in the period itself (`count`).
    case value = ""
    /// The value in the compared period (`count_prev`).
    case previous = "_prev"
    /// Current − previous (`count_change`).
    case change = "_change"
    /// The change relative to the previous value × 100 (`count_change_pct`).
    case changePercent = "_change_pct"
}

/// The direction of an `order by` clause.
public enum SortDirection: String, Sendable, Hashable, CaseIterable {
    /// Smallest first.
    case asc
    /// Largest first; the default when the clause names no direction.
    case desc
}
