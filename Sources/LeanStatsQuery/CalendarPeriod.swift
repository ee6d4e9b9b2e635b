import LeanStatsCore

/// One calendar day, month, quarter, half-year or year: the building block of a ``PeriodSpec``.
///
/// Values made by the parser always denote real dates; code that builds one directly must keep months in 1…12,
/// quarters in 1…4, halves in 1…2 and days valid for their month.
public enum CalendarPeriod: Sendable, Hashable, CustomStringConvertible {
    /// One day, written `2025-11-03`.
    case day(CivilDate)
    /// One month, written `2025-11`.
    case month(year: Int, month: Int)
    /// One quarter (1…4), written `2025-Q4`.
    case quarter(year: Int, quarter: Int)
    /// One half-year (1: January to June, 2: July to December), written `2025-H1`.
    case half(year: Int, half: Int)
    /// One year, written `2025`.
    case year(Int)

    /// The first day of the period.
    public var firstDay: CivilDate {
        switch self {
        case .day(let date): date
        case .month(let year, let month): CivilDate(year: year, month: month, day: 1)
        case .quarter(let year, let quarter): CivilDate(year: year, month: quarter * 3 - 2, day: 1)
        case .half(let year, let half): CivilDate(year: year, month: half * 6 - 5, day: 1)
        case .year(let year): CivilDate(year: year, month: 1, day: 1)
        }
    }

    /// The last day of the period.
    public var lastDay: CivilDate {
        switch self {
        case .day(let date):
            return date
        case .month(let year, let month):
            return CivilDate(year: year, month: month, day: CivilDate.daysIn(year: year, month: month))
        case .quarter(let year, let quarter):
            return CivilDate(year: year, month: quarter * 3, day: CivilDate.daysIn(year: year, month: quarter * 3))
        case .half(let year, let half):
            return CivilDate(year: year, month: half * 6, day: CivilDate.daysIn(year: year, month: half * 6))
        case .year(let year):
            return CivilDate(year: year, month: 12, day: 31)
        }
    }

    /// The same period one year earlier: the whole month, quarter, half-year or year, or the same date (29 February
    /// becomes the 28th).
    public var yearEarlier: CalendarPeriod {
        switch self {
        case .day(let date):
            let day = min(date.day, CivilDate.daysIn(year: date.year - 1, month: date.month))
            return .day(CivilDate(year: date.year - 1, month: date.month, day: day))
        case .month(let year, let month): return .month(year: year - 1, month: month)
        case .quarter(let year, let quarter): return .quarter(year: year - 1, quarter: quarter)
        case .half(let year, let half): return .half(year: year - 1, half: half)
        case .year(let year): return .year(year - 1)
        }
    }

    /// The period of the same kind just before this one: the previous day, month, quarter, half-year or year.
    public var previous: CalendarPeriod {
        switch self {
        case .day(let date):
            return .day(CivilDate(dayNumber: date.dayNumber - 1))
        case .month(let year, let month):
            return month == 1 ? .month(year: year - 1, month: 12) : .month(year: year, month: month - 1)
        case .quarter(let year, let quarter):
            return quarter == 1 ? .quarter(year: year - 1, quarter: 4) : .quarter(year: year, quarter: quarter - 1)
        case .half(let year, let half):
            return half == 1 ? .half(year: year - 1, half: 2) : .half(year: year, half: 1)
        case .year(let year):
            return .year(year - 1)
        }
    }

    /// The days of the period, both ends included.
    public var dayRange: DayRange { DayRange(from: firstDay, through: lastDay) }

    /// The canonical text: `2025-11-03`, `2025-11`, `2025-Q4`, `2025-H1` or `2025`.
    public var description: String {
        switch self {
        case .day(let date): date.description
        case .month(let year, let month): CivilDate(year: year, month: month, day: 1).monthText
        case .quarter(let year, let quarter): "\(Self.yearText(year))-Q\(quarter)"
        case .half(let year, let half): "\(Self.yearText(year))-H\(half)"
        case .year(let year): Self.yearText(year)
        }
    }

    /// A year as four digits.
    private static func yearText(_ year: Int) -> String {
        let digits = String(year)
        return digits.count >= 4 ? digits : String(repeating: "0", count: 4 - digits.count) + digits
    }
}

extension CalendarPeriod {
    /// Parses `YYYY`, `YYYY-MM`, `YYYY-Qn` (or `qn`), `YYYY-Hn` (or `hn`) or `YYYY-MM-DD`, checking that the date
    /// exists.
    ///
    /// - Parameters:
    ///   - text: the text of one calendar period, without `..`.
    ///   - column: the column of the text's first character in the query line, for errors.
    /// - Returns: the period.
    /// - Throws: ``QueryError`` with code ``QueryError/Code/invalidPeriod`` pointing at `text`.
    static func parse(_ text: Substring, column: Int) throws(QueryError) -> CalendarPeriod {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        func invalid(_ hint: String) -> QueryError {
            QueryError(.invalidPeriod, column: column, word: String(text), "invalid period '\(text)'", hint: hint)
        }
        guard let year = parts.first.flatMap({ decimal($0, digits: 4) }) else {
            throw invalid(PeriodSpec.acceptedForms)
        }
        switch parts.count {
        case 1:
            return .year(year)
        case 2 where parts[1].count == 2 && (parts[1].first == "Q" || parts[1].first == "q"):
            guard let quarter = decimal(parts[1].dropFirst(), digits: 1) else {
                throw invalid(PeriodSpec.acceptedForms)
            }
            guard (1...4).contains(quarter) else {
                throw invalid("there is no quarter \(quarter) (quarters are Q1 to Q4)")
            }
            return .quarter(year: year, quarter: quarter)
        case 2 where parts[1].count == 2 && (parts[1].first == "H" || parts[1].first == "h"):
            guard let half = decimal(parts[1].dropFirst(), digits: 1) else {
                throw invalid(PeriodSpec.acceptedForms)
            }
            guard (1...2).contains(half) else {
                throw invalid("there is no half-year \(half) (half-years are H1 and H2)")
            }
            return .half(year: year, half: half)
        case 2, 3:
            guard let month = decimal(parts[1], digits: 2) else { throw invalid(PeriodSpec.acceptedForms) }
            guard (1...12).contains(month) else { throw invalid("there is no month \(parts[1]) (months are 01 to 12)") }
            guard parts.count == 3 else { return .month(year: year, month: month) }
            guard let day = decimal(parts[2], digits: 2) else { throw invalid(PeriodSpec.acceptedForms) }
            let length = CivilDate.daysIn(year: year, month: month)
            guard (1...length).contains(day) else {
                let monthText = CivilDate(year: year, month: month, day: 1).monthText
                throw invalid(day == 0 ? "there is no day 00" : "\(monthText) has only \(length) days")
            }
            return .day(CivilDate(year: year, month: month, day: day))
        default:
            throw invalid(PeriodSpec.acceptedForms)
        }
    }

    /// The value of exactly `digits` ASCII decimal digits, or `nil`.
    private static func decimal(_ text: Substring, digits: Int) -> Int? {
        guard text.count == digits else { return nil }
        var value = 0
        for character in text {
            guard let digit = character.asciiDigit else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}

extension Character {
    /// The value of an ASCII decimal digit, `nil` for any other character.
    var asciiDigit: Int? {
        guard isASCII, let value = asciiValue, value >= 48, value <= 57 else { return nil }
        return Int(value - 48)
    }
}
