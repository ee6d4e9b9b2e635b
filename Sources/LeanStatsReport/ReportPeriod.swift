import LeanStatsCore
import LeanStatsQuery

/// The period a report covers, with the period it is compared with: one calendar month, quarter, half-year or
/// year, or a custom range of months or days.
///
/// Written `2025-11`, `2025-Q4`, `2025-H1`, `2025`, `2025-01..2025-06` or `2025-11-01..2025-11-15`;
/// ``description`` gives that canonical text back and ``label`` the Chinese one (`2025年11月`, `2025年第4季度`,
/// `2025年上半年`, `2025年`, `2025年1月至2025年6月`).
public struct ReportPeriod: Sendable, Hashable, CustomStringConvertible {
    /// What a report period is.
    public enum Kind: Sendable, Hashable {
        /// One month, quarter, half-year or year.
        case calendar(CalendarPeriod)
        /// From the start of one calendar period through the end of another (months or days).
        case range(from: CalendarPeriod, through: CalendarPeriod)
    }

    /// The period.
    public let kind: Kind

    /// Wraps a calendar period.
    /// - Parameter period: a month, quarter, half-year or year.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/invalidPeriod`` for a single day.
    public init(_ period: CalendarPeriod) throws(ReportError) {
        if case .day(let date) = period {
            throw ReportError(
                .invalidPeriod,
                "a report covers a month, a quarter, a half-year, a year or a range, not the day \(date)",
                hint: "write \(date.monthText) for its month, or \(date)..\(date) for the day alone"
            )
        }
        kind = .calendar(period)
    }

    /// Parses a month, quarter, half-year or year (`2025-11`, `2025-Q4`, `2025-H1`, `2025`), a range
    /// (`2025-01..2025-06`, `2025-11-01..2025-11-15`), or a relative month, quarter or year (`this-month`,
    /// `last-month`, `this-quarter`, `last-quarter`, `this-year`, `last-year`).
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
        case .range(let from, let through):
            guard from.firstDay.dayNumber <= through.lastDay.dayNumber else {
                throw ReportError(
                    .invalidPeriod,
                    "the range '\(spec)' ends before it starts",
                    hint: "write the earlier end first, e.g. \(through)..\(from)"
                )
            }
            self.init(kind: .range(from: from, through: through))
        case .relative(let relative):
            guard let period = Self.calendarPeriod(of: relative, today: today) else { fallthrough }
            self.init(kind: .calendar(period))
        default:
            throw ReportError(
                .invalidPeriod,
                "a report covers a month, quarter, half-year, year or range, not '\(spec)'",
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
        "write 2025-11 (a month), 2025-Q4 (a quarter), 2025-H1 (a half-year), 2025 (a year), "
        + "2025-01..2025-06 or 2025-11-01..2025-11-15 (a range), last-month, last-quarter or last-year"

    /// The canonical text: `2025-11`, `2025-Q4`, `2025-H1`, `2025` or `2025-01..2025-06`.
    public var description: String {
        switch kind {
        case .calendar(let period): period.description
        case .range(let from, let through): "\(from)..\(through)"
        }
    }

    /// The Chinese name of the period: `2025年11月`, `2025年第4季度`, `2025年上半年`, `2025年` or
    /// `2025年1月至2025年6月`.
    public var label: String {
        switch kind {
        case .calendar(let period): Self.label(period)
        case .range(let from, let through): "\(Self.label(from))至\(Self.label(through))"
        }
    }

    /// The Chinese name of one calendar period.
    private static func label(_ period: CalendarPeriod) -> String {
        switch period {
        case .month(let year, let month): "\(year)年\(month)月"
        case .quarter(let year, let quarter): "\(year)年第\(quarter)季度"
        case .half(let year, let half): "\(year)年\(half == 1 ? "上" : "下")半年"
        case .year(let year): "\(year)年"
        case .day(let date): "\(date.year)年\(date.month)月\(date.day)日"
        }
    }

    /// The first day of the period.
    public var firstDay: CivilDate {
        switch kind {
        case .calendar(let period): period.firstDay
        case .range(let from, _): from.firstDay
        }
    }

    /// The last day of the period.
    public var lastDay: CivilDate {
        switch kind {
        case .calendar(let period): period.lastDay
        case .range(_, let through): through.lastDay
        }
    }

    /// The days of the period, both ends included.
    public var dayRange: DayRange { DayRange(from: firstDay, through: lastDay) }

    /// The period just before this one and as long: the previous month, quarter, half-year or year; before a range,
    /// as many whole months when it is whole months, else as many days.
    public var previous: ReportPeriod {
        switch kind {
        case .calendar(let period):
            return ReportPeriod(kind: .calendar(period.previous))
        case .range:
            let span = Comparison.precedingSpan(of: dayRange)
            let first = CivilDate(dayNumber: span.first)
            let last = CivilDate(dayNumber: span.last)
            if first.day == 1, last.day == CivilDate.daysIn(year: last.year, month: last.month) {
                return ReportPeriod(
                    kind: .range(
                        from: .month(year: first.year, month: first.month),
                        through: .month(year: last.year, month: last.month)
                    )
                )
            }
            return ReportPeriod(kind: .range(from: .day(first), through: .day(last)))
        }
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

    /// Wraps a period already known to be valid.
    private init(kind: Kind) {
        self.kind = kind
    }
}
