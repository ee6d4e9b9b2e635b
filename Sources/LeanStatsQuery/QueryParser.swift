import LeanStatsCore

/// Reads one line of the query language into a ``Query``.
///
/// The grammar (keywords, dimension, metric and filter names ignore case; values keep theirs):
///
/// ```
/// query      = overview | by | top | efficiency | trend ;
/// overview   = "overview" scope ;
/// by         = "by" dimension metrics scope [ "order" "by" metric [ "asc" | "desc" ] ] [ "limit" count ] ;
/// top        = "top" count scope ;
/// efficiency = "efficiency" scope ;
/// trend      = "trend" scope ;
/// scope      = period [ "where" filter { "and" filter } ] ;
/// metrics    = metric { "," metric } ;
/// filter     = ( "dept" | "category" | "status" ) "=" value ;
/// value      = word | quoted ;
/// count      = digit { digit } ;                          (* a positive Int *)
/// period     = "all" | point | point ".." point ;         (* one word *)
/// point      = year | year "-" mm | year "-" ( "Q" | "q" ) q | year "-" mm "-" dd ;
/// ```
///
/// Words are separated by whitespace; `,` and `=` are tokens of their own, so spaces around them are optional. A
/// quoted value is `"…"` with `\"` and `\\` inside. A filter key may appear once per query.
struct QueryParser {
    /// The tokens of the line.
    private let tokens: [Token]
    /// The index of the next token.
    private var position = 0
    /// The column one past the last token, where something missing at the end is reported.
    private let endColumn: Int
    /// The `vs` keyword, once read, for errors about the comparison.
    private var comparisonToken: Token?

    /// The commands, the first word of every query.
    private enum Command: String, CaseIterable {
        case overview, by, top, efficiency, trend, list, describe
    }

    /// The keys a `where` clause filters on.
    private enum FilterKey: String, CaseIterable {
        case dept, category, status

        /// What the value is, for error hints.
        var valueDescription: String {
            switch self {
            case .dept: "a department name"
            case .category: "a category (提案类别)"
            case .status: "a status: \(InstanceStatus.allCases.map(\.code).joined(separator: ", "))"
            }
        }
    }

    /// Tokenizes a line.
    /// - Throws: ``QueryError`` for an unterminated quote.
    init(line: String) throws(QueryError) {
        tokens = try QueryLexer.tokenize(line)
        endColumn = tokens.last?.endColumn ?? 1
    }

    /// Parses the whole line.
    /// - Throws: ``QueryError`` at the first word that does not fit.
    mutating func parseQuery() throws(QueryError) -> Query {
        let commands = Command.allCases.map(\.rawValue)
        guard let verb = peek() else {
            throw QueryError(
                .emptyQuery,
                column: 1,
                word: "",
                "missing command",
                hint: "expected one of " + commands.joined(separator: ", ")
            )
        }
        guard verb.kind == .word, let command = Command(rawValue: verb.text.lowercased()) else {
            throw unknown(.unknownCommand, "command", verb, among: commands)
        }
        position += 1
        // The clauses that may still follow, for the error about a word where the line should end.
        var continuations = ["vs", "where"]
        let query: Query
        switch command {
        case .overview:
            query = .overview(try parseScope(&continuations))
        case .efficiency:
            query = .efficiency(try parseScope(&continuations))
        case .trend:
            query = .trend(try parseScope(&continuations))
        case .top:
            let count = try parsePositiveInteger(.invalidCount, "number of proposers", example: "top 10")
            query = .top(count, try parseScope(&continuations))
        case .by:
            query = .breakdown(try parseBreakdown(&continuations))
        case .list:
            let scope = try parseScope(&continuations)
            continuations += ["limit"]
            var limit: Int?
            if advance(ifKeyword: "limit") {
                limit = try parsePositiveInteger(.invalidLimit, "row limit", example: "limit 10")
                continuations = []
            }
            query = .list(scope, limit: limit)
        case .describe:
            continuations = []
            query = .describe
        }
        try checkComparison(query, verb: verb)
        if let extra = peek() { throw unexpected(extra, in: query, continuations: continuations) }
        return query
    }

    /// `vs` compares statistics of two periods: it belongs to overview, efficiency and `by` over non-calendar
    /// groupings, and the period must not be `all`.
    private func checkComparison(_ query: Query, verb: Token) throws(QueryError) {
        guard query.scope.comparison != nil, let vsToken = comparisonToken else { return }
        let allowed: Bool
        switch query {
        case .overview, .efficiency: allowed = true
        case .breakdown(let breakdown): allowed = !(breakdown.dimension?.isCalendar ?? false)
        default: allowed = false
        }
        guard allowed else {
            throw QueryError(
                .unexpectedWord,
                column: vsToken.column,
                word: vsToken.source,
                "'vs' does not apply to this query",
                hint: "compare with 'vs' in overview, efficiency and by queries (not by month, quarter or year)"
            )
        }
        if query.period == .all {
            throw QueryError(
                .invalidPeriod,
                column: vsToken.column,
                word: vsToken.source,
                "'vs' needs a period other than 'all'",
                hint: "e.g. overview 2025-11 vs prev"
            )
        }
    }

    /// The error for a word after a complete query: what may follow instead, or why a known clause is out of place.
    private func unexpected(_ extra: Token, in query: Query, continuations: [String]) -> QueryError {
        let keywords = continuations.map { String($0.prefix { $0 != " " }) }
        var hint = "expected " + Self.alternatives(continuations.map { "'\($0)'" } + ["end of line"])
        let clauses = ["where", "order", "limit"]
        if let clause = clauses.first(where: extra.isKeyword), !keywords.contains(clause) {
            let isBreakdown = if case .breakdown = query { true } else { false }
            if clause == "where", keywords.contains("and") {
                hint = "join filters with 'and'"
            } else if clause != "where", !isBreakdown {
                hint = "'order by' and 'limit' belong to by queries"
            } else {
                hint = "clauses go in the order where, order by, limit, each once"
            }
        }
        return QueryError(
            .unexpectedWord,
            column: extra.column,
            word: extra.source,
            "unexpected '\(extra.source)'",
            hint: hint,
            suggestion: extra.kind == .word ? Suggestion.nearest(to: extra.text, among: keywords) : nil
        )
    }

    // MARK: - Clauses

    /// Parses `DIM METRICS scope [order by METRIC [asc|desc]] [limit N]` after `by`.
    private mutating func parseBreakdown(_ continuations: inout [String]) throws(QueryError) -> Breakdown {
        let grouping = try parseGrouping()
        let metrics = try parseMetrics()
        let scope = try parseScope(&continuations, afterMetrics: true)
        var breakdown = Breakdown(grouping: grouping, metrics: metrics, scope: scope)
        continuations += ["order by", "limit"]
        if peek()?.isKeyword("order") == true {
            let (order, explicitDirection) = try parseOrder()
            breakdown.order = order
            continuations = explicitDirection ? ["limit"] : ["asc", "desc", "limit"]
        }
        if advance(ifKeyword: "limit") {
            breakdown.limit = try parsePositiveInteger(.invalidLimit, "row limit", example: "limit 10")
            continuations = []
        }
        return breakdown
    }

    /// Parses a dimension name or `field:NAME` (the name may be quoted: `field:"预计 收益"`).
    private mutating func parseGrouping() throws(QueryError) -> GroupingKey {
        if let token = peek(), token.kind == .word, token.text.lowercased().hasPrefix("field:") {
            position += 1
            var name = String(token.text.dropFirst("field:".count))
            if name.isEmpty, let quoted = peek(), quoted.kind == .quoted, quoted.column == token.endColumn {
                name = quoted.text
                position += 1
            }
            guard !name.isEmpty else {
                throw QueryError(
                    .missingDimension,
                    column: token.column,
                    word: token.source,
                    "missing form field name after 'field:'",
                    hint: "e.g. by field:提案类别 count 2025-11"
                )
            }
            return .field(name)
        }
        return .dimension(try parseDimension())
    }

    /// Parses a dimension name.
    private mutating func parseDimension() throws(QueryError) -> Dimension {
        let names = Dimension.allCases.map(\.rawValue) + ["field:NAME"]
        guard let token = peek() else {
            throw missing(.missingDimension, "dimension", hint: "expected one of " + names.joined(separator: ", "))
        }
        guard token.kind == .word, let dimension = Dimension(rawValue: token.text.lowercased()) else {
            throw unknown(.unknownDimension, "dimension", token, among: names)
        }
        position += 1
        return dimension
    }

    /// Parses `METRIC { "," METRIC }`.
    private mutating func parseMetrics() throws(QueryError) -> [Metric] {
        let hint = "expected a metric or a comma list such as count,passed"
        if let token = peek(), token.kind == .word, Self.looksLikePeriod(token.text) {
            throw QueryError(
                .missingMetric,
                column: token.column,
                word: token.source,
                "missing metrics before the period '\(token.source)'",
                hint: hint
            )
        }
        var metrics: [Metric] = []
        while true {
            guard let token = peek() else {
                throw missing(.missingMetric, metrics.isEmpty ? "metrics" : "metric after ','", hint: hint)
            }
            let metric = try metric(token)
            if metrics.contains(metric) {
                throw QueryError(
                    .duplicateMetric,
                    column: token.column,
                    word: token.source,
                    "metric '\(token.source)' listed twice",
                    hint: "list each metric once"
                )
            }
            metrics.append(metric)
            position += 1
            guard advance(if: .comma) else { return metrics }
            if let next = peek(), next.kind != .word || Self.looksLikePeriod(next.text) {
                throw missing(.missingMetric, "metric after ','", hint: hint)
            }
        }
    }

    /// Parses the period and the optional `where` clause.
    /// - Parameters:
    ///   - continuations: set to the word that may continue the `where` clause once there is one.
    ///   - afterMetrics: whether the period follows a metric list, where a metric name means a missing `,`.
    private mutating func parseScope(
        _ continuations: inout [String],
        afterMetrics: Bool = false
    ) throws(QueryError) -> QueryScope {
        var scope = QueryScope(period: try parsePeriod(afterMetrics: afterMetrics))
        if let token = peek(), token.isKeyword("vs") {
            comparisonToken = token
            position += 1
            scope.comparison = try parseComparison()
            continuations = ["where"]
        }
        if advance(ifKeyword: "where") {
            scope.filter = try parseFilters()
            continuations = ["and"]
        }
        return scope
    }

    /// Parses what follows `vs`: `prev` (环比), `yoy` (同比) or a period.
    private mutating func parseComparison() throws(QueryError) -> Comparison {
        guard let token = peek() else {
            throw missing(.missingPeriod, "period after 'vs'", hint: "expected prev, yoy or a period such as 2025-10")
        }
        if token.kind == .word {
            switch token.text.lowercased() {
            case "prev", "previous", "mom", "环比":
                position += 1
                return .previous
            case "yoy", "同比":
                position += 1
                return .yearAgo
            default:
                break
            }
        }
        return .period(try parsePeriod(afterMetrics: false))
    }

    /// Parses the period word (two words for `last 90d`).
    private mutating func parsePeriod(afterMetrics: Bool) throws(QueryError) -> PeriodSpec {
        guard let token = peek() else {
            throw missing(.missingPeriod, "period", hint: PeriodSpec.acceptedForms)
        }
        guard token.kind == .word else {
            throw QueryError(
                .invalidPeriod,
                column: token.column,
                word: token.source,
                "invalid period '\(token.source)'",
                hint: PeriodSpec.acceptedForms
            )
        }
        let lowered = token.text.lowercased()
        if afterMetrics, Metric(rawValue: lowered) != nil {
            throw QueryError(
                .missingComma,
                column: token.column,
                word: token.source,
                "metric '\(token.source)' is not joined to the list",
                hint: "join metrics with ',', e.g. count,passed"
            )
        }
        if ["where", "order", "limit"].contains(lowered) {
            throw QueryError(
                .missingPeriod,
                column: token.column,
                word: token.source,
                "missing period before '\(token.source)'",
                hint: PeriodSpec.acceptedForms
            )
        }
        if token.isKeyword("last") {
            guard let next = tokens.indices.contains(position + 1) ? tokens[position + 1] : nil,
                let span = RelativePeriod.span(next.text)
            else {
                let next = tokens.indices.contains(position + 1) ? tokens[position + 1] : nil
                throw QueryError(
                    .invalidPeriod,
                    column: next?.column ?? endColumn,
                    word: next?.source ?? "",
                    next == nil ? "missing length after 'last'" : "invalid length '\(next!.source)' after 'last'",
                    hint: "expected a number of days or months such as last 90d or last 6m"
                )
            }
            position += 2
            return .relative(span)
        }
        do {
            let period = try PeriodSpec.parse(token)
            position += 1
            return period
        } catch {
            var error = error
            if error.column == token.column, !Self.looksLikePeriod(token.text) {
                error.suggestion = Suggestion.nearest(to: token.text, among: ["all"])
            }
            throw error
        }
    }

    /// Parses `filter { "and" filter }` after `where`.
    private mutating func parseFilters() throws(QueryError) -> StatisticsFilter {
        var filter = StatisticsFilter.none
        var seen: Set<FilterKey> = []
        repeat {
            let introducer = previous()?.source ?? "where"
            guard let keyToken = peek() else {
                throw missing(
                    .missingFilter,
                    "filter after '\(introducer)'",
                    hint: "expected dept=…, category=… or status=…"
                )
            }
            guard keyToken.kind == .word, let key = FilterKey(rawValue: keyToken.text.lowercased()) else {
                throw unknown(.unknownFilter, "filter", keyToken, among: FilterKey.allCases.map(\.rawValue))
            }
            guard seen.insert(key).inserted else {
                throw QueryError(
                    .duplicateFilter,
                    column: keyToken.column,
                    word: keyToken.source,
                    "filter '\(keyToken.source)' given twice",
                    hint: "give each filter once"
                )
            }
            position += 1
            guard advance(if: .equals) else {
                throw missing(.missingEquals, "'=' after '\(keyToken.source)'", hint: "expected \(key.rawValue)=VALUE")
            }
            let valueHint = "expected \(key.valueDescription); quote a value with spaces, e.g. \(key.rawValue)=\"a b\""
            guard let valueToken = peek(), valueToken.kind == .word || valueToken.kind == .quoted else {
                throw missing(.missingValue, "value after '\(keyToken.source)='", hint: valueHint)
            }
            guard !valueToken.text.isEmpty else {
                throw QueryError(
                    .missingValue,
                    column: valueToken.column,
                    word: valueToken.source,
                    "empty value for '\(keyToken.source)'",
                    hint: valueHint
                )
            }
            switch key {
            case .dept:
                filter.deptName = valueToken.text
            case .category:
                filter.category = valueToken.text
            case .status:
                guard let status = InstanceStatus(code: valueToken.text) else {
                    throw unknown(.unknownStatus, "status", valueToken, among: InstanceStatus.allCases.map(\.code))
                }
                filter.status = status
            }
            position += 1
        } while advance(ifKeyword: "and")
        return filter
    }

    /// Parses `order by METRIC [asc|desc]`.
    /// - Returns: the sort order and whether the direction was written out.
    private mutating func parseOrder() throws(QueryError) -> (SortOrder, explicitDirection: Bool) {
        let hint = "expected order by METRIC [asc|desc]"
        position += 1
        guard advance(ifKeyword: "by") else {
            throw missing(.missingKeyword, "'by' after 'order'", hint: hint)
        }
        guard let token = peek() else {
            throw missing(.missingMetric, "metric after 'order by'", hint: hint)
        }
        var order = SortOrder(try metric(token))
        position += 1
        if advance(ifKeyword: "asc") {
            order.direction = .asc
        } else if !advance(ifKeyword: "desc") {
            return (order, false)
        }
        return (order, true)
    }

    // MARK: - Words

    /// Reads a metric name.
    /// - Throws: ``QueryError/Code/unknownMetric`` when the token is not one.
    private func metric(_ token: Token) throws(QueryError) -> Metric {
        guard token.kind == .word, let metric = Metric(rawValue: token.text.lowercased()) else {
            throw unknown(.unknownMetric, "metric", token, among: Metric.allCases.map(\.rawValue))
        }
        return metric
    }

    /// Reads a positive whole number (`top N`, `limit N`).
    /// - Parameters:
    ///   - code: the error code when the number is missing or not positive.
    ///   - what: what the number means, for the message.
    ///   - example: a correct use, for the hint.
    private mutating func parsePositiveInteger(
        _ code: QueryError.Code,
        _ what: String,
        example: String
    ) throws(QueryError) -> Int {
        let hint = "expected a positive whole number, e.g. \(example)"
        guard let token = peek() else { throw missing(code, what, hint: hint) }
        if token.kind == .word, token.text.contains(where: { $0.asciiDigit == nil }), Self.looksLikePeriod(token.text),
            (try? PeriodSpec.parse(token)) != nil
        {
            throw QueryError(
                code,
                column: token.column,
                word: token.source,
                "missing \(what) before the period '\(token.source)'",
                hint: hint
            )
        }
        guard token.kind == .word, token.text.allSatisfy({ $0.asciiDigit != nil }), let value = Int(token.text),
            value > 0
        else {
            throw QueryError(
                code,
                column: token.column,
                word: token.source,
                "invalid \(what) '\(token.source)'",
                hint: hint
            )
        }
        position += 1
        return value
    }

    /// Whether a word is meant as a period rather than a name: it starts with a digit, is `all` or a relative
    /// period.
    private static func looksLikePeriod(_ text: String) -> Bool {
        text.first?.asciiDigit != nil || text.lowercased() == "all" || text.lowercased() == "last"
            || RelativePeriod.word(text) != nil
    }

    // MARK: - Token stream

    /// The next token, if any.
    private func peek() -> Token? { position < tokens.count ? tokens[position] : nil }

    /// The token before the next one, if any.
    private func previous() -> Token? { position > 0 && position <= tokens.count ? tokens[position - 1] : nil }

    /// Consumes the next token when it is the keyword.
    private mutating func advance(ifKeyword keyword: String) -> Bool {
        guard peek()?.isKeyword(keyword) == true else { return false }
        position += 1
        return true
    }

    /// Consumes the next token when it is of this kind.
    private mutating func advance(if kind: Token.Kind) -> Bool {
        guard peek()?.kind == kind else { return false }
        position += 1
        return true
    }

    // MARK: - Errors

    /// An error for something missing: at the next token when there is one, else at the end of the line.
    private func missing(_ code: QueryError.Code, _ what: String, hint: String) -> QueryError {
        guard let token = peek() else {
            return QueryError(code, column: endColumn, word: "", "missing \(what)", hint: hint)
        }
        return QueryError(code, column: token.column, word: token.source, "missing \(what)", hint: hint)
    }

    /// An error for a word that is not one of the valid names for its slot, suggesting the nearest.
    private func unknown(_ code: QueryError.Code, _ what: String, _ token: Token, among names: [String]) -> QueryError {
        QueryError(
            code,
            column: token.column,
            word: token.source,
            "unknown \(what) '\(token.source)'",
            hint: "expected one of " + names.joined(separator: ", "),
            suggestion: token.kind == .word ? Suggestion.nearest(to: token.text, among: names) : nil
        )
    }

    /// `a`, `a or b`, `a, b or c`.
    private static func alternatives(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + items[items.count - 1]
    }
}
