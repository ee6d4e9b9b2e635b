import Foundation
import LeanStatsCore

/// A period named relative to today in the configured zone: `today`, `this-month`, `last 90d`, `ytd`, …
public enum RelativePeriod: Sendable, Hashable, CustomStringConvertible {
    /// Today.
    case today
    /// Yesterday.
    case yesterday
    /// The current calendar month, up to today.
    case thisMonth
    /// The previous calendar month.
    case lastMonth
    /// The current quarter, up to today.
    case thisQuarter
    /// The previous quarter.
    case lastQuarter
    /// The current year, up to today.
    case thisYear
    /// The previous calendar year.
    case lastYear
    /// From 1 January through today (`ytd`).
    case yearToDate
    /// The N days ending today (`last 90d`).
    case lastDays(Int)
    /// The N calendar months ending with the current one (`last 6m`).
    case lastMonths(Int)

    /// The one-word forms and what they mean.
    static let words: [(String, RelativePeriod)] = [
        ("today", .today), ("yesterday", .yesterday), ("this-month", .thisMonth), ("last-month", .lastMonth),
        ("this-quarter", .thisQuarter), ("last-quarter", .lastQuarter), ("this-year", .thisYear),
        ("last-year", .lastYear), ("ytd", .yearToDate),
    ]

    /// Reads a one-word relative period, ignoring case.
    static func word(_ text: String) -> RelativePeriod? {
        let lowered = text.lowercased()
        return words.first { $0.0 == lowered }?.1
    }

    /// Reads the count after `last`: `90d` (days) or `6m` (months); `nil` for anything else.
    static func span(_ text: String) -> RelativePeriod? {
        let lowered = text.lowercased()
        guard let unit = lowered.last, unit == "d" || unit == "m", let count = Int(lowered.dropLast()), count > 0,
            count <= 100_000
        else { return nil }
        return unit == "d" ? .lastDays(count) : .lastMonths(count)
    }

    /// The canonical text.
    public var description: String {
        switch self {
        case .lastDays(let count): "last \(count)d"
        case .lastMonths(let count): "last \(count)m"
        default: Self.words.first { $0.1 == self }!.0
        }
    }

    /// The days the period covers, given today's date.
    public func dayRange(today: CivilDate) -> DayRange {
        let todayNumber = today.dayNumber
        func month(_ year: Int, _ month: Int) -> (first: CivilDate, last: CivilDate) {
            var y = year
            var m = month
            while m < 1 {
                m += 12
                y -= 1
            }
            return (
                CivilDate(year: y, month: m, day: 1),
                CivilDate(year: y, month: m, day: CivilDate.daysIn(year: y, month: m))
            )
        }
        let quarterStart = (today.month - 1) / 3 * 3 + 1
        switch self {
        case .today:
            return DayRange(first: todayNumber, last: todayNumber)
        case .yesterday:
            return DayRange(first: todayNumber - 1, last: todayNumber - 1)
        case .thisMonth:
            return DayRange(first: CivilDate(year: today.year, month: today.month, day: 1).dayNumber, last: todayNumber)
        case .lastMonth:
            let previous = month(today.year, today.month - 1)
            return DayRange(from: previous.first, through: previous.last)
        case .thisQuarter:
            return DayRange(
                first: CivilDate(year: today.year, month: quarterStart, day: 1).dayNumber,
                last: todayNumber
            )
        case .lastQuarter:
            let first = month(today.year, quarterStart - 3).first
            let last = month(today.year, quarterStart - 1).last
            return DayRange(from: first, through: last)
        case .thisYear, .yearToDate:
            return DayRange(first: CivilDate(year: today.year, month: 1, day: 1).dayNumber, last: todayNumber)
        case .lastYear:
            return DayRange(
                from: CivilDate(year: today.year - 1, month: 1, day: 1),
                through: CivilDate(year: today.year - 1, month: 12, day: 31)
            )
        case .lastDays(let count):
            return DayRange(first: todayNumber - count + 1, last: todayNumber)
        case .lastMonths(let count):
            return DayRange(first: month(today.year, today.month - count + 1).first.dayNumber, last: todayNumber)
        }
    }
}

/// What a `vs` clause compares the period with.
public enum Comparison: Sendable, Hashable, CustomStringConvertible {
    /// The period just before, of the same kind (month before a month, quarter before a quarter, …) or, for a
    /// range, of the same length (`vs prev`, 环比).
    case previous
    /// The same period one year earlier (`vs yoy`, 同比): a whole month, quarter or year (or a range of them)
    /// maps to the whole corresponding one, so February 2025 compares with all of February 2024, 29th included;
    /// days map to the same dates, 29 February to the 28th.
    case yearAgo
    /// Any other period (`vs 2024-11`).
    case period(PeriodSpec)

    /// The canonical text.
    public var description: String {
        switch self {
        case .previous: "prev"
        case .yearAgo: "yoy"
        case .period(let period): period.description
        }
    }

    /// The days to compare with, given the query's period and today; `nil` when the period is `all`.
    public func dayRange(for period: PeriodSpec, today: CivilDate) -> DayRange? {
        guard let current = period.dayRange(today: today) else { return nil }
        switch self {
        case .period(let other):
            return other.dayRange(today: today)
        case .yearAgo:
            switch period {
            case .single(let calendar):
                return calendar.yearEarlier.dayRange
            case .range(let from, let through):
                return DayRange(from: from.yearEarlier.firstDay, through: through.yearEarlier.lastDay)
            case .relative(.lastMonth), .relative(.lastQuarter), .relative(.lastYear):
                let first = CivilDate(dayNumber: current.first)
                let last = CivilDate(dayNumber: current.last)
                return DayRange(
                    from: CalendarPeriod.month(year: first.year, month: first.month).yearEarlier.firstDay,
                    through: CalendarPeriod.month(year: last.year, month: last.month).yearEarlier.lastDay
                )
            case .relative, .all:
                return DayRange(
                    from: CalendarPeriod.day(CivilDate(dayNumber: current.first)).yearEarlier.firstDay,
                    through: CalendarPeriod.day(CivilDate(dayNumber: current.last)).yearEarlier.lastDay
                )
            }
        case .previous:
            if case .single(let calendar) = period { return calendar.previous.dayRange }
            return Self.precedingSpan(of: current)
        }
    }
}

extension Comparison {
    /// The span just before `range` and as long: as many whole months when `range` is whole months
    /// (`2025-01..2025-06` → `2024-07..2024-12`), else as many days.
    public static func precedingSpan(of range: DayRange) -> DayRange {
        let first = CivilDate(dayNumber: range.first)
        let last = CivilDate(dayNumber: range.last)
        let isWholeMonths =
            first.day == 1 && last.day == CivilDate.daysIn(year: last.year, month: last.month)
        guard isWholeMonths else {
            let length = range.last - range.first + 1
            return DayRange(first: range.first - length, last: range.first - 1)
        }
        let months = last.monthNumber - first.monthNumber + 1
        let start = first.monthNumber - months
        let startYear = 1970 + Int((Double(start) / 12).rounded(.down))
        let from = CivilDate(year: startYear, month: start - (startYear - 1970) * 12 + 1, day: 1)
        return DayRange(first: from.dayNumber, last: range.first - 1)
    }
}

extension CivilDate {
    /// Today's date in a zone.
    public static func today(in clock: ZoneClock) -> CivilDate {
        clock.date(at: Int64(Date().timeIntervalSince1970))
    }
}
