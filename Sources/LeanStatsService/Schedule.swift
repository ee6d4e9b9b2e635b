import LeanStatsCore

/// When a job fires, in local wall-clock time of the configured zone: every day (`"02:00"`), on a weekday
/// (`"sun 03:00"`) or on a day of the month (`"1 08:00"`; days past a month's end fire on its last day).
public struct Schedule: Sendable, Hashable, CustomStringConvertible {
    /// Which days the job fires on.
    public enum Days: Sendable, Hashable {
        /// Every day.
        case daily
        /// One weekday, 0 = Sunday … 6 = Saturday.
        case weekly(weekday: Int)
        /// One day of the month, 1…31.
        case monthly(day: Int)
    }

    /// Which days the job fires on.
    public var days: Days
    /// The local time of day, in seconds after midnight.
    public var secondOfDay: Int

    /// The weekday names accepted, Sunday first.
    static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Creates a schedule.
    public init(days: Days, hour: Int, minute: Int) {
        self.days = days
        self.secondOfDay = hour * 3600 + minute * 60
    }

    /// Parses `"HH:MM"`, `"WEEKDAY HH:MM"` (`sun`…`sat`, or full English names) or `"DAY HH:MM"` (1…31).
    /// - Parameters:
    ///   - text: The setting's value.
    ///   - key: The setting's name, for the message.
    /// - Throws: ``ServiceError`` with code `.configuration` naming the expected forms.
    public init(parsing text: String, key: String = "schedule") throws(ServiceError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        func failure() -> ServiceError {
            ServiceError(
                .configuration,
                "\(key) '\(text)' is not a schedule; use \"HH:MM\" (daily), \"sun 03:00\" (weekly) or \"1 08:00\" "
                    + "(monthly, day of month)"
            )
        }
        guard parts.count == 1 || parts.count == 2 else { throw failure() }
        let time = parts[parts.count - 1].split(separator: ":", omittingEmptySubsequences: false)
        guard time.count == 2, time[0].count <= 2, time[1].count == 2, let hour = Int(time[0]),
            let minute = Int(time[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        else { throw failure() }
        var days = Days.daily
        if parts.count == 2 {
            let word = parts[0].lowercased()
            if let day = Int(word) {
                guard (1...31).contains(day) else { throw failure() }
                days = .monthly(day: day)
            } else if let weekday = Self.weekdayNames.firstIndex(where: { word.hasPrefix($0) && word.count >= 3 }) {
                days = .weekly(weekday: weekday)
            } else {
                throw failure()
            }
        }
        self.init(days: days, hour: hour, minute: minute)
    }

    public var description: String {
        let time = "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay / 60 % 60))"
        switch days {
        case .daily: return time
        case .weekly(let weekday): return "\(Self.weekdayNames[weekday]) \(time)"
        case .monthly(let day): return "\(day) \(time)"
        }
    }

    /// The instant the job fires on a local day, or `nil` when it does not fire that day. A time skipped by a
    /// daylight-saving change fires at the first instant after the gap; a repeated time at its first occurrence.
    /// - Parameters:
    ///   - dayNumber: Days since 1970-01-01 in the zone.
    ///   - zone: The zone.
    public func fireInstant(onDay dayNumber: Int, in zone: ZoneClock) -> Int64? {
        switch days {
        case .daily:
            break
        case .weekly(let weekday):
            // 1970-01-01 was a Thursday (4).
            guard ((dayNumber + 4) % 7 + 7) % 7 == weekday else { return nil }
        case .monthly(let day):
            let date = CivilDate(dayNumber: dayNumber)
            guard date.day == min(day, CivilDate.daysIn(year: date.year, month: date.month)) else { return nil }
        }
        return zone.instant(localSeconds: Int64(dayNumber) * 86_400 + Int64(secondOfDay))
    }

    /// The first fire time strictly after an instant.
    /// - Parameters:
    ///   - instant: Unix seconds.
    ///   - zone: The zone the schedule is read in.
    /// - Returns: Unix seconds.
    /// - Complexity: O(days until the next fire), at most about 62.
    public func next(after instant: Int64, in zone: ZoneClock) -> Int64 {
        let today = zone.dayNumber(at: instant)
        for day in (today - 1)...(today + 63) {
            if let fire = fireInstant(onDay: day, in: zone), fire > instant { return fire }
        }
        preconditionFailure("every schedule fires at least once in 63 days")
    }

    /// The last fire time at or before an instant.
    /// - Parameters:
    ///   - instant: Unix seconds.
    ///   - zone: The zone the schedule is read in.
    /// - Returns: Unix seconds.
    public func previous(atOrBefore instant: Int64, in zone: ZoneClock) -> Int64 {
        let today = zone.dayNumber(at: instant)
        for day in stride(from: today + 1, through: today - 63, by: -1) {
            if let fire = fireInstant(onDay: day, in: zone), fire <= instant { return fire }
        }
        preconditionFailure("every schedule fires at least once in 63 days")
    }
}

/// A number of 0…99 with a leading zero.
func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
