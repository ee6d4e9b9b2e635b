import Foundation
import LeanStatsCore

/// The period a query covers: a calendar day, month, quarter or year, an inclusive range of them, or everything.
///
/// Text forms: `2025-11` (month), `2025-Q4` or `2025-q4` (quarter), `2025` (year), `2025-11-03` (day), `A..B`
/// (from the first day of `A` through the last day of `B`, where `A` and `B` are any of the former) and `all`.
/// ``description`` prints the canonical form, which parses back to the same value.
public enum PeriodSpec: Sendable, Hashable, CustomStringConvertible {
    /// Every instance in the store, whatever its date.
    case all
    /// One calendar period.
    case single(CalendarPeriod)
    /// From the first day of one period through the last day of another, which does not end before the first
    /// starts.
    case range(from: CalendarPeriod, through: CalendarPeriod)
    /// A period relative to today (`this-month`, `last 90d`, `ytd`, …).
    case relative(RelativePeriod)

    /// A month, e.g. `.month(2025, 11)` for `2025-11`.
    public static func month(_ year: Int, _ month: Int) -> PeriodSpec { .single(.month(year: year, month: month)) }

    /// A quarter (1…4), e.g. `.quarter(2025, 4)` for `2025-Q4`.
    public static func quarter(_ year: Int, _ quarter: Int) -> PeriodSpec {
        .single(.quarter(year: year, quarter: quarter))
    }

    /// A year, e.g. `.year(2025)` for `2025`.
    public static func year(_ year: Int) -> PeriodSpec { .single(.year(year)) }

    /// A day, e.g. `.day(2025, 11, 3)` for `2025-11-03`.
    public static func day(_ year: Int, _ month: Int, _ day: Int) -> PeriodSpec {
        .single(.day(CivilDate(year: year, month: month, day: day)))
    }

    /// The days the period covers, both ends included; `nil` for ``all``.
    /// - Parameter today: the date relative periods count from; the current UTC date when `nil` (the executor
    ///   passes today in the configured zone).
    public func dayRange(today: CivilDate? = nil) -> DayRange? {
        switch self {
        case .all: nil
        case .single(let period): period.dayRange
        case .range(let from, let through): DayRange(from: from.firstDay, through: through.lastDay)
        case .relative(let relative):
            relative.dayRange(today: today ?? CivilDate(dayNumber: Int(Date().timeIntervalSince1970 / 86_400)))
        }
    }

    /// The canonical text, e.g. `2025-Q4`, `2025-01..2025-06-15` or `all`.
    public var description: String {
        switch self {
        case .all: "all"
        case .single(let period): period.description
        case .range(let from, let through): "\(from)..\(through)"
        case .relative(let relative): relative.description
        }
    }

    /// Parses the text of a period on its own (as the `report PERIOD` command takes it).
    ///
    /// - Parameter text: one period in any accepted form; surrounding whitespace is ignored.
    /// - Throws: ``QueryError`` whose column counts from the first character of `text`.
    public init(parsing text: String) throws(QueryError) {
        let tokens = try QueryLexer.tokenize(text)
        guard let token = tokens.first else {
            throw QueryError(
                .missingPeriod,
                column: 1,
                word: "",
                "missing period",
                hint: Self.acceptedForms
            )
        }
        guard token.kind == .word else {
            throw QueryError(
                .invalidPeriod,
                column: token.column,
                word: token.source,
                "invalid period '\(token.source)'",
                hint: Self.acceptedForms
            )
        }
        var consumed = 1
        if token.isKeyword("last"), tokens.count > 1, let span = RelativePeriod.span(tokens[1].text) {
            self = .relative(span)
            consumed = 2
        } else {
            self = try Self.parse(token)
        }
        if tokens.count > consumed {
            let extra = tokens[consumed]
            throw QueryError(
                .unexpectedWord,
                column: extra.column,
                word: extra.source,
                "unexpected '\(extra.source)'",
                hint: "expected one period"
            )
        }
    }

    /// The accepted forms, for error messages.
    static let acceptedForms =
        "expected 2025-11 (month), 2025-Q4 (quarter), 2025-H1 (half-year), 2025 (year), 2025-11-03 (day), "
        + "2025-01..2025-06 (range), this-month, last-month, last 90d, ytd or all"

    /// Parses one word of a query line as a period.
    /// - Throws: ``QueryError`` pointing at the word, or at the end of a range that is wrong.
    static func parse(_ token: Token) throws(QueryError) -> PeriodSpec {
        let text = Substring(token.text)
        if text.lowercased() == "all" { return .all }
        if let relative = RelativePeriod.word(token.text) { return .relative(relative) }
        guard let separator = text.firstRange(of: "..") else {
            return .single(try CalendarPeriod.parse(text, column: token.column))
        }
        let left = text[..<separator.lowerBound]
        let right = text[separator.upperBound...]
        let rightColumn = token.column + left.count + 2
        func invalidEnd(_ end: Substring, column: Int, side: String) -> QueryError {
            QueryError(
                .invalidPeriod,
                column: column,
                word: String(end),
                end.isEmpty ? "missing \(side) of range" : "invalid range \(side) '\(end)'",
                hint: "each end of a range is a month, quarter, half-year, year or day, e.g. 2025-01..2025-06"
            )
        }
        if left.isEmpty || left.lowercased() == "all" { throw invalidEnd(left, column: token.column, side: "start") }
        if right.isEmpty || right.lowercased() == "all" || right.contains("..") {
            throw invalidEnd(right, column: rightColumn, side: "end")
        }
        let from = try CalendarPeriod.parse(left, column: token.column)
        let through = try CalendarPeriod.parse(right, column: rightColumn)
        guard through.lastDay >= from.firstDay else {
            throw QueryError(
                .invalidPeriod,
                column: token.column,
                word: token.source,
                "invalid period '\(token.source)'",
                hint: "the range ends (\(through.lastDay)) before it starts (\(from.firstDay))"
            )
        }
        return .range(from: from, through: through)
    }
}
