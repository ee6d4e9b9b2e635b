import LeanStatsCore
import LeanStatsQuery

/// The period a report covers: one calendar month, quarter or year, with the period it is compared with.
///
/// Written `2025-11`, `2025-Q4` or `2025`; ``description`` gives that canonical text back and ``label`` the
/// Chinese one (`2025年11月`, `2025年第4季度`, `2025年`).
public struct ReportPeriod: Sendable, Hashable, CustomStringConvertible {
    /// The month, quarter or year.
    public let calendarPeriod: CalendarPeriod

    /// Wraps a calendar period.
    /// - Parameter period: a month, quarter or year.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/invalidPeriod`` for a single day.
    public init(_ period: CalendarPeriod) throws(ReportError) {
        if case .day(let date) = period {
            throw ReportError(
                .invalidPeriod,
                "a report covers a month, a quarter or a year, not the day \(date)",
                hint: "write \(date.monthText) for its month"
            )
        }
        calendarPeriod = period
    }

    /// Parses `2025-11`, `2025-Q4` (or `2025-q4`) or `2025`, or a relative month, quarter or year
    /// (`this-month`, `last-month`, `this-quarter`, `last-quarter`, `this-year`, `last-year`).
    /// - Parameters:
    ///   - text: the period as the `report` command takes it; surrounding whitespace is ignored.
    ///   - today: the date relative periods count from (today in the configured zone).
    /// - Throws: ``ReportError`` with code ``ReportError/Code/invalidPeriod`` for anything else, saying what is
    ///   accepted.
    public init(parsing text: String, today: CivilDate) throws(ReportError) {
        let spec: PeriodSpec
        do {
            spec = try PeriodSpec(parsing: text)
        } catch {
            throw ReportError(.invalidPeriod, error.message, hint: error.hint ?? Self.acceptedForms)
        }
        switch spec {
        case .single(let period):
            try self.init(period)
        case .relative(let relative):
            guard let period = Self.calendarPeriod(of: relative, today: today) else { fallthrough }
            self.init(unchecked: period)
        default:
            throw ReportError(
                .invalidPeriod,
                "a report covers one month, quarter or year, not '\(spec)'",
                hint: Self.acceptedForms
            )
        }
    }

    /// The calendar month, quarter or year a relative period names, `nil` for day counts and partial years.
    private static func calendarPeriod(of relative: RelativePeriod, today: CivilDate) -> CalendarPeriod? {
        let first = CivilDate(dayNumber: relative.dayRange(today: today).first)
        switch relative {
        case .thisMonth, .lastMonth: return .month(year: first.year, month: first.month)
        case .thisQuarter, .lastQuarter: return .quarter(year: first.year, quarter: (first.month - 1) / 3 + 1)
        case .thisYear, .lastYear: return .year(first.year)
        default: return nil
        }
    }

    /// What ``init(parsing:)`` accepts, for error messages.
    static let acceptedForms =
        "write 2025-11 (a month), 2025-Q4 (a quarter), 2025 (a year), last-month, last-quarter or last-year"

    /// The canonical text: `2025-11`, `2025-Q4` or `2025`.
    public var description: String { calendarPeriod.description }

    /// The Chinese name of the period: `2025年11月`, `2025年第4季度` or `2025年`.
    public var label: String {
        switch calendarPeriod {
        case .month(let year, let month): "\(year)年\(month)月"
        case .quarter(let year, let quarter): "\(year)年第\(quarter)季度"
        case .year(let year): "\(year)年"
        case .day(let date): "\(date.year)年\(date.month)月\(date.day)日"
        }
    }

    /// The first day of the period.
    public var firstDay: CivilDate { calendarPeriod.firstDay }

    /// The last day of the period.
    public var lastDay: CivilDate { calendarPeriod.lastDay }

    /// The days of the period, both ends included.
    public var dayRange: DayRange { calendarPeriod.dayRange }

    /// The period just before this one of the same length: the previous month, quarter or year.
    public var previous: ReportPeriod {
        let period: CalendarPeriod
        switch calendarPeriod {
        case .month(let year, let month):
            period = month == 1 ? .month(year: year - 1, month: 12) : .month(year: year, month: month - 1)
        case .quarter(let year, let quarter):
            period = quarter == 1 ? .quarter(year: year - 1, quarter: 4) : .quarter(year: year, quarter: quarter - 1)
        case .year(let year):
            period = .year(year - 1)
        case .day(let date):
            period = .day(CivilDate(dayNumber: date.dayNumber - 1))
        }
        return ReportPeriod(unchecked: period)
    }

    /// The first days of the `count` months that end with the period's last month, oldest first.
    /// - Parameter count: how many months; 12 for the report's trend.
    /// - Returns: `count` dates, each the first day of a month.
    public func trailingMonths(_ count: Int = 12) -> [CivilDate] {
        let last = lastDay.monthNumber
        return ((last - count + 1)...last).map { number in
            let year = 1970 + Int((Double(number) / 12).rounded(.down))
            return CivilDate(year: year, month: number - (year - 1970) * 12 + 1, day: 1)
        }
    }

    /// The days of the `count` months that end with the period's last month.
    /// - Parameter count: how many months.
    public func trailingDayRange(months count: Int = 12) -> DayRange {
        DayRange(from: trailingMonths(count)[0], through: lastDay)
    }

    /// Wraps a period already known to be a month, quarter or year.
    private init(unchecked period: CalendarPeriod) {
        calendarPeriod = period
    }
}
