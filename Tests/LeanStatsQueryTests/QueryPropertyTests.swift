import LeanStatsCore
import Testing

@testable import LeanStatsQuery

/// A small deterministic random number generator (SplitMix64), so every run checks the same cases.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random queries and random lines for property tests.
struct QueryGenerator {
    var random: SeededGenerator

    /// Words and punctuation lines are made of: keywords in several cases, names, periods good and bad, junk.
    static let vocabulary: [String] = [
        "overview", "by", "top", "efficiency", "trend", "OVERVIEW", "By", "Top", "TREND", "list", "describe",
        "dept", "category", "user", "month", "status", "Dept", "quarter", "field:提案类别",
        "count", "passed", "pass_rate", "participants", "depts", "avg_days", "min_days", "max_days", "completed",
        "within30_rate", "COUNT", "pass_rat", "cnt", "count,passed", "count,", ",passed", "or", "in", "(", ")",
        "（", "，", "＝", "result", "age_days", "count_change", "vs", "prev", "user=u1", "dept in (a, b)",
        "2025-11", "2025-Q4", "2025-q1", "2025", "2025-11-03", "2024-02-29", "2025-02-29", "2025-13", "2025-Q5",
        "2025-01..2025-06", "2025-06..2025-01", "2025..", "..", "all", "ALL", "this-month", "90d", "2025-1",
        "where", "WHERE", "and", "AND", "order", "by", "asc", "desc", "DESC", "limit", "vs",
        "dept=生产部", "category=安全改善", "status=RUNNING", "status=running", "status=DONE", "=", ",", "==",
        "\"生产 部\"", "\"a\\\"b\"", "\"unterminated", "\"\"", "\"", "\\", "10", "0", "-3", "1e3", "007",
        "99999999999999999999", "生产部", "安全改善", "质量管理部", "🙂", "ｃｏｕｎｔ", "\u{3000}", "x", ";", "*",
    ]

    /// Separators between words, including none (which glues words together).
    static let separators = [" ", " ", " ", "  ", "\t", "", "\u{3000}"]

    /// Pieces of filter values: spaces, quotes, backslashes, keywords and Chinese, to stress quoting.
    static let valuePieces = [
        "生产部", "安全改善", "a", "B", " ", "=", ",", "\"", "\\", "and", "where", "x y", "🙂", "Q", "ｆ", "\t", "..",
        "2025", "'", "\u{3000}", "(", ")", "（", "）", "，", "＝", "or", "in", "审批中",
    ]

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// A line of random words from the vocabulary, usually starting with a command.
    mutating func tokenSoup() -> String {
        var words: [String] = []
        if chance(80) { words.append(pick(["overview", "by", "top", "efficiency", "trend"])) }
        for _ in 0..<int(0...12) { words.append(pick(Self.vocabulary)) }
        var line = ""
        for (index, word) in words.enumerated() {
            if index > 0 { line += pick(Self.separators) }
            line += word
        }
        return line
    }

    /// Characters for character-level junk: delimiters, digits, period parts, CJK, combining and joining marks.
    static let junkCharacters: [Character] = [
        " ", " ", "\t", "\u{3000}", "\"", "\\", "=", ",", ".", "-", "0", "1", "2", "5", "9", "Q", "q", "a", "d", "e",
        "t", "生", "产", "部", "🙂", "\u{301}", "\u{200D}", "\u{600}", "\u{FE0F}", "ｆ", "\u{7}",
    ]

    /// A line of random characters, usually behind a valid beginning so that more than the command is read.
    mutating func characterJunk() -> String {
        let prefixes = ["", "overview ", "by dept count ", "top 3 ", "trend 2025 where dept=", "by user count 2025 "]
        var line = pick(prefixes)
        for _ in 0..<int(0...24) { line.append(pick(Self.junkCharacters)) }
        return line
    }

    mutating func calendarPeriod() -> CalendarPeriod {
        let year = int(1990...2035)
        switch int(0...4) {
        case 0: return .year(year)
        case 1: return .quarter(year: year, quarter: int(1...4))
        case 3: return .half(year: year, half: int(1...2))
        case 2: return .month(year: year, month: int(1...12))
        default:
            let month = int(1...12)
            return .day(CivilDate(year: year, month: month, day: int(1...CivilDate.daysIn(year: year, month: month))))
        }
    }

    mutating func period() -> PeriodSpec {
        switch int(0...5) {
        case 0: return .all
        case 1, 2:
            let from = calendarPeriod()
            let through = calendarPeriod()
            return through.lastDay >= from.firstDay
                ? .range(from: from, through: through) : .range(from: through, through: from)
        default: return .single(calendarPeriod())
        }
    }

    mutating func value() -> String {
        var text = ""
        for _ in 0..<int(1...3) { text += pick(Self.valuePieces) }
        return text
    }

    /// One to three values, or `nil` (no condition) by chance.
    mutating func values<Value: Equatable>(_ percent: Int, _ make: (inout Self) -> Value) -> [Value]? {
        guard chance(percent) else { return nil }
        var values: [Value] = []
        for _ in 0..<int(1...3) {
            let value = make(&self)
            if !values.contains(value) { values.append(value) }
        }
        return values
    }

    mutating func scope() -> QueryScope {
        var alternatives: [FilterConditions] = []
        for _ in 0..<(chance(60) ? 1 : int(0...3)) {
            let conditions = FilterConditions(
                deptNames: values(40) { $0.value() },
                categories: values(30) { $0.value() },
                statuses: values(30) { $0.pick(InstanceStatus.allCases) },
                users: values(20) { $0.value() },
                results: values(20) { $0.pick([InstanceResult.agree, .refuse, nil]) }
            )
            if !conditions.isEmpty { alternatives.append(conditions) }
        }
        return QueryScope(period: period(), filter: StatisticsFilter(alternatives: alternatives))
    }

    /// A random well-formed query.
    mutating func query() -> Query {
        switch int(0...4) {
        case 0:
            var metrics = Metric.allCases.shuffled(using: &random)
            metrics.removeLast(int(0...(metrics.count - 1)))
            return .overview(scope(), metrics: chance(50) ? Metric.overview : metrics)
        case 1: return .efficiency(scope())
        case 2: return .trend(scope())
        case 3: return .top(int(1...500), scope())
        default:
            var metrics = Metric.allCases.shuffled(using: &random)
            metrics.removeLast(int(0...(metrics.count - 1)))
            return .breakdown(
                Breakdown(
                    dimension: pick(Dimension.allCases),
                    metrics: metrics,
                    scope: scope(),
                    order: chance(40) ? SortOrder(pick(Metric.allCases), pick(SortDirection.allCases)) : nil,
                    limit: chance(30) ? int(1...1000) : nil
                )
            )
        }
    }

    /// A valid line changed a little: a word dropped, repeated, swapped, replaced, re-cased or glued.
    mutating func mutated(_ line: String) -> String {
        var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<int(1...2) where !words.isEmpty {
            let index = int(0...(words.count - 1))
            switch int(0...5) {
            case 0: words.remove(at: index)
            case 1: words.insert(words[index], at: index)
            case 2: words.swapAt(index, int(0...(words.count - 1)))
            case 3: words[index] = pick(Self.vocabulary)
            case 4: words[index] = words[index].uppercased()
            default: words.insert(pick(Self.vocabulary), at: index)
            }
        }
        var result = ""
        for (index, word) in words.enumerated() {
            if index > 0 { result += chance(90) ? " " : pick(Self.separators) }
            result += word
        }
        return result
    }
}

struct QueryPropertyTests {
    /// Parses a line and checks the invariants: an accepted line's canonical form is a fixed point that parses to
    /// the same query; a rejected line's error points at a word that is really there.
    /// - Returns: whether the line was accepted.
    @discardableResult
    static func checkInvariants(_ line: String) -> Bool {
        do {
            let query = try Query(parsing: line)
            let canonical = query.description
            let reparsed = try? Query(parsing: canonical)
            #expect(reparsed == query, "\(line) → \(canonical)")
            #expect(reparsed?.description == canonical, "\(line) → \(canonical)")
            return true
        } catch {
            let characters = Array(line)
            #expect(error.column >= 1 && error.column <= characters.count + 1, "\(line): \(error)")
            let start = min(max(error.column - 1, 0), characters.count)
            let end = min(start + error.word.count, characters.count)
            #expect(String(characters[start..<end]) == error.word, "\(line): \(error)")
            #expect(error.description.contains("at column \(error.column)"))
            #expect(error.rendered(line: line).hasPrefix(line + "\n"))
            return false
        }
    }

    @Test func randomWordSequencesNeverCrashAndAcceptedOnesPrintBackCanonically() {
        var generator = QueryGenerator(random: SeededGenerator(seed: 20_251_103))
        var accepted = 0
        for _ in 0..<3000 where Self.checkInvariants(generator.tokenSoup()) { accepted += 1 }
        #expect(accepted > 0)
    }

    @Test func slightlyBrokenQueriesNeverCrashAndAcceptedOnesPrintBackCanonically() {
        var generator = QueryGenerator(random: SeededGenerator(seed: 42))
        var accepted = 0
        var rejected = 0
        for _ in 0..<3000 {
            let line = generator.mutated(generator.query().description)
            if Self.checkInvariants(line) { accepted += 1 } else { rejected += 1 }
        }
        // Both outcomes must be exercised for the property to mean something.
        #expect(accepted > 100)
        #expect(rejected > 1000)
    }

    @Test func randomCharactersNeverCrashTheLexer() {
        var generator = QueryGenerator(random: SeededGenerator(seed: 1_234_567))
        for _ in 0..<3000 { Self.checkInvariants(generator.characterJunk()) }
    }

    @Test func randomQueriesParseBackFromTheirCanonicalText() throws {
        var generator = QueryGenerator(random: SeededGenerator(seed: 7))
        for _ in 0..<3000 {
            let query = generator.query()
            let text = query.description
            #expect(try Query(parsing: text) == query, "\(text)")
        }
    }

    @Test func randomPeriodsResolveToNonEmptyRangesAndPrintBack() throws {
        var generator = QueryGenerator(random: SeededGenerator(seed: 99))
        for _ in 0..<2000 {
            let period = generator.period()
            #expect(try PeriodSpec(parsing: period.description) == period)
            if let range = period.dayRange() { #expect(range.first <= range.last) }
        }
    }
}
