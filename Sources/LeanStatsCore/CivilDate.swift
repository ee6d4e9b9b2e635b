/// A calendar date without a time zone, and conversions to and from day numbers.
///
/// Day numbers count days since 1970-01-01 (day 0) in the proleptic Gregorian calendar.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, e.g. 2025.
    public var year: Int
    /// The month, 1…12.
    public var month: Int
    /// The day of the month, 1…31.
    public var day: Int

    /// Creates a date; the caller guarantees the fields form a real date (see ``isValid``).
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Creates the date of a day number (days since 1970-01-01).
    public init(dayNumber: Int) {
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// Days since 1970-01-01.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Whether the month and day exist in that year.
    public var isValid: Bool {
        month >= 1 && month <= 12 && day >= 1 && day <= CivilDate.daysIn(year: year, month: month)
    }

    /// The number of days of a month.
    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Months since January 1970, a dense key for `by month`.
    public var monthNumber: Int { (year - 1970) * 12 + (month - 1) }

    /// The date formatted as `YYYY-MM-DD`.
    public var description: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// The month formatted as `YYYY-MM`.
    public var monthText: String { "\(pad(year, 4))-\(pad(month, 2))" }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// Formats a month number (months since January 1970) as `YYYY-MM`.
public func monthText(monthNumber: Int) -> String {
    let year = 1970 + Int((Double(monthNumber) / 12).rounded(.down))
    let month = monthNumber - (year - 1970) * 12 + 1
    return "\(pad(year, 4))-\(pad(month, 2))"
}

@inline(__always)
func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

/// An inclusive range of calendar days, as the statistics filter on them.
public struct DayRange: Sendable, Hashable {
    /// The first day (days since 1970-01-01), included.
    public var first: Int
    /// The last day (days since 1970-01-01), included.
    public var last: Int

    /// Creates a range of days, both ends included.
    public init(first: Int, last: Int) {
        self.first = first
        self.last = last
    }

    /// Creates the range from one date to another, both included.
    public init(from start: CivilDate, through end: CivilDate) {
        self.init(first: start.dayNumber, last: end.dayNumber)
    }
}
