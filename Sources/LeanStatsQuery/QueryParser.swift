import LeanStatsCore

/// Reads one line of the query language into a ``Query``.
///
/// The grammar is in <doc:QueryLanguage> (keywords, dimension, metric and filter names ignore case; values keep
/// theirs). Words are separated by whitespace; `,`, `=` and parentheses are tokens of their own, so spaces around
/// them are optional. A quoted value is `"…"` with `\"` and `\\` inside. A filter key may appear once per `and`
/// group; parenthesised groups are multiplied out into `or` alternatives.
struct QueryParser {
    /// The tokens of the line.
    private let tokens: [Token]
    /// The index of the next token.
    private var position = 0
    /// The column one past the last token, where something missing at the end is reported.
    private let endColumn: Int
    /// The `vs` keyword, once read, for errors about the comparison.
    private var comparisonToken: Token?
    /// The filter values that name departments, categories or users, in the order written, for the executor to
    /// check against the store.
    private(set) var mentions: [FilterValueMention] = []

    /// The commands, the first word of every query.
    private enum Command: String, CaseIterable {
        case overview, by, top, efficiency, trend, list, describe
    }

    /// The greatest number of `or` alternatives a filter may expand to once parentheses are multiplied out.
    static let maximumAlternatives = 64

    /// One `and` group of a filter while it is read: the conditions and the key word of each, for errors.
    private struct Conjunction {
        var conditions = FilterConditions()
        var keys: [FilterKey: Token] = [:]
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
            throw QueryError.unknown(.unknownCommand, "command", verb, among: commands)
        }
        position += 1
        // The clauses that may still follow, for the error about a word where the line should end.
        var continuations = ["vs", "where"]
        let query: Query
        switch command {
        case .overview:
            var metrics = Metric.overview
            var listed = false
            if let token = peek(), token.kind == .word, Metric(rawValue: token.text.lowercased()) != nil {
                metrics = try parseMetrics()
                listed = true
            }
            query = .overview(try parseScope(&continuations, afterMetrics: listed), metrics: metrics)
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
            let (order, explicitDirection) = try parseOrder(comparing: scope.comparison != nil)
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
            throw QueryError.unknown(.unknownDimension, "dimension", token, among: names)
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
            continuations = ["and", "or"]
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

    /// Parses the filters after `where`: `and` groups joined by `or`, `and` binding tighter; parenthesised groups
    /// are multiplied out into alternatives.
    private mutating func parseFilters() throws(QueryError) -> StatisticsFilter {
        let alternatives = try parseDisjunction()
        return StatisticsFilter(alternatives: alternatives.map(\.conditions))
    }

    /// `conjunction { "or" conjunction }`.
    private mutating func parseDisjunction() throws(QueryError) -> [Conjunction] {
        var alternatives = try parseConjunction()
        while let token = peek(), token.isKeyword("or") {
            position += 1
            alternatives += try parseConjunction()
            try checkAlternatives(alternatives.count, at: token)
        }
        return alternatives
    }

    /// `primary { "and" primary }`, as alternatives (more than one only when a parenthesised group has `or`).
    ///
    /// A key written twice directly in the group is an error; a key that also appears inside a parenthesised
    /// group narrows to the values both allow, and alternatives left with none are dropped.
    private mutating func parseConjunction() throws(QueryError) -> [Conjunction] {
        var direct: Set<FilterKey> = []
        var alternatives = try parsePrimaryFilter(direct: &direct)
        while let token = peek(), token.isKeyword("and") {
            position += 1
            let right = try parsePrimaryFilter(direct: &direct)
            try checkAlternatives(alternatives.count * right.count, at: token)
            var product: [Conjunction] = []
            for left in alternatives {
                for other in right {
                    if let merged = merge(left, other) { product.append(merged) }
                }
            }
            guard !product.isEmpty else {
                throw QueryError(
                    .duplicateFilter,
                    column: token.column,
                    word: token.source,
                    "the conditions joined by '\(token.source)' exclude each other, so no instance can match",
                    hint: "give each key values that can hold together, or join the groups with 'or'"
                )
            }
            alternatives = product
        }
        return alternatives
    }

    /// `condition` or `"(" disjunction ")"`.
    /// - Parameter direct: the keys written directly in the enclosing `and` group; a condition's key is added,
    ///   and one already there is an error.
    private mutating func parsePrimaryFilter(direct: inout Set<FilterKey>) throws(QueryError) -> [Conjunction] {
        if let open = peek(), open.kind == .openParenthesis {
            position += 1
            let inner = try parseDisjunction()
            guard advance(if: .closeParenthesis) else {
                throw missing(
                    .missingParenthesis,
                    "')' to close the '\(open.source)' at column \(open.column)",
                    hint: "close the group, e.g. where (dept=A or dept=B) and status=RUNNING"
                )
            }
            return inner
        }
        let condition = try parseCondition()
        for (key, token) in condition.keys where !direct.insert(key).inserted { throw duplicateFilter(token) }
        return [condition]
    }

    /// Refuses a filter that multiplies out to too many alternatives.
    private func checkAlternatives(_ count: Int, at token: Token) throws(QueryError) {
        guard count > Self.maximumAlternatives else { return }
        throw QueryError(
            .tooManyAlternatives,
            column: token.column,
            word: token.source,
            "the filter expands to more than \(Self.maximumAlternatives) alternatives",
            hint: "list values with in (…) instead of joining many groups"
        )
    }

    /// Joins two `and` groups: a key in both keeps the values both allow; `nil` when that leaves none.
    private func merge(_ left: Conjunction, _ right: Conjunction) -> Conjunction? {
        var merged = left
        for key in FilterKey.allCases {
            guard let token = right.keys[key] else { continue }
            if merged.keys[key] == nil { merged.keys[key] = token }
            guard key.intersect(right.conditions, into: &merged.conditions) else { return nil }
        }
        return merged
    }

    private func duplicateFilter(_ token: Token) -> QueryError {
        QueryError(
            .duplicateFilter,
            column: token.column,
            word: token.source,
            "filter '\(token.source)' given twice in one 'and' group",
            hint: "list several values with in (…), e.g. dept in (生产部, 质量部), or join groups with 'or'"
        )
    }

    /// One condition: `KEY=VALUE` or `KEY in (VALUE, …)`.
    private mutating func parseCondition() throws(QueryError) -> Conjunction {
        let introducer = previous()?.source ?? "where"
        guard let keyToken = peek() else {
            throw missing(
                .missingFilter,
                "filter after '\(introducer)'",
                hint: "expected " + Self.alternatives(FilterKey.allCases.map { "\($0.rawValue)=…" })
            )
        }
        guard keyToken.kind == .word, let key = FilterKey(rawValue: keyToken.text.lowercased()) else {
            throw QueryError.unknown(.unknownFilter, "filter", keyToken, among: FilterKey.allCases.map(\.rawValue))
        }
        position += 1
        var valueTokens: [Token] = []
        if advance(if: .equals) {
            valueTokens = [try parseFilterValue(key, after: "'\(keyToken.source)='", keyToken)]
        } else if advance(ifKeyword: "in") {
            guard advance(if: .openParenthesis) else {
                throw missing(.missingParenthesis, "'(' after 'in'", hint: "expected \(key.rawValue) in (A, B)")
            }
            repeat {
                valueTokens.append(try parseFilterValue(key, after: "'\(previous()?.source ?? "(")'", keyToken))
            } while advance(if: .comma)
            guard advance(if: .closeParenthesis) else {
                throw missing(
                    .missingParenthesis,
                    "',' or ')' in the list of '\(keyToken.source)'",
                    hint: "expected \(key.rawValue) in (A, B)"
                )
            }
        } else {
            throw missing(
                .missingEquals,
                "'=' or 'in' after '\(keyToken.source)'",
                hint: "expected \(key.rawValue)=VALUE or \(key.rawValue) in (A, B)"
            )
        }
        var conjunction = Conjunction()
        conjunction.keys[key] = keyToken
        try key.set(valueTokens, on: &conjunction.conditions)
        if let kind = key.storeValueKind {
            mentions += valueTokens.map { FilterValueMention(kind: kind, value: $0.text, token: $0) }
        }
        return conjunction
    }

    /// Reads one filter value (a word or a quoted value, not empty).
    private mutating func parseFilterValue(
        _ key: FilterKey,
        after introducer: String,
        _ keyToken: Token
    ) throws(QueryError) -> Token {
        let valueHint = "expected \(key.valueDescription); quote a value with spaces, e.g. \(key.rawValue)=\"a b\""
        guard let valueToken = peek(), valueToken.kind == .word || valueToken.kind == .quoted else {
            throw missing(.missingValue, "value after \(introducer)", hint: valueHint)
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
        position += 1
        return valueToken
    }

    /// Parses `order by METRIC[_prev|_change|_change_pct] [asc|desc]`.
    /// - Parameter comparing: whether the scope has `vs`, which the comparison columns need.
    /// - Returns: the sort order and whether the direction was written out.
    private mutating func parseOrder(comparing: Bool) throws(QueryError) -> (SortOrder, explicitDirection: Bool) {
        let hint = "expected order by METRIC [asc|desc]"
        position += 1
        guard advance(ifKeyword: "by") else {
            throw missing(.missingKeyword, "'by' after 'order'", hint: hint)
        }
        guard let token = peek() else {
            throw missing(.missingMetric, "metric after 'order by'", hint: hint)
        }
        var order: SortOrder
        let lowered = token.text.lowercased()
        // Longest suffix first: `_change_pct` also ends in neither of the others, `_change` must not read as value.
        let compared = ComparedColumn.allCases.filter { $0 != .value }.sorted { $0.rawValue.count > $1.rawValue.count }
            .lazy.compactMap { column -> SortOrder? in
                guard token.kind == .word, lowered.hasSuffix(column.rawValue),
                    let metric = Metric(rawValue: String(lowered.dropLast(column.rawValue.count)))
                else { return nil }
                return SortOrder(metric, column: column)
            }.first
        if let compared, Metric(rawValue: lowered) == nil {
            guard comparing else {
                throw QueryError(
                    .unknownMetric,
                    column: token.column,
                    word: token.source,
                    "'\(token.source)' is a comparison column, but the query compares with nothing",
                    hint: "add a comparison before where, e.g. vs prev, or order by \(compared.metric.rawValue)"
                )
            }
            order = compared
        } else {
            let names =
                Metric.allCases.map(\.rawValue)
                + (comparing
                    ? Metric.allCases.flatMap { metric in
                        ComparedColumn.allCases.dropFirst().map { metric.rawValue + $0.rawValue }
                    } : [])
            guard token.kind == .word, let metric = Metric(rawValue: lowered) else {
                throw QueryError.unknown(.unknownMetric, "metric", token, among: names)
            }
            order = SortOrder(metric)
        }
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
            throw QueryError.unknown(.unknownMetric, "metric", token, among: Metric.allCases.map(\.rawValue))
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

    /// `a`, `a or b`, `a, b or c`.
    private static func alternatives(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + items[items.count - 1]
    }
}

extension QueryError {
    /// An error for a word that is not one of the valid names for its slot, suggesting the nearest.
    static func unknown(_ code: QueryError.Code, _ what: String, _ token: Token, among names: [String]) -> QueryError {
        QueryError(
            code,
            column: token.column,
            word: token.source,
            "unknown \(what) '\(token.source)'",
            hint: "expected one of " + names.joined(separator: ", "),
            suggestion: token.kind == .word ? Suggestion.nearest(to: token.text, among: names) : nil
        )
    }
}
