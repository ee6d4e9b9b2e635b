import LeanStatsCore

/// When a job fires: in local wall-clock time of the configured zone every day (`"02:00"`), on a weekday
/// (`"sun 03:00"`) or on a day of the month (`"1 08:00"`; days past a month's end fire on its last day); or, for
/// trials and small sites, at a fixed interval (`"every 90s"`, `"every 3m"`, `"every 2h"`; at least 10 seconds).
///
/// An interval fires at every multiple of it since the Unix epoch (`every 3m` at :00, :03, :06, … UTC), so fire
/// times do not depend on when the service started and a restart neither skips nor repeats one.
public struct Schedule: Sendable, Hashable, CustomStringConvertible {
    /// Which days a calendar schedule fires on.
    public enum Days: Sendable, Hashable {
        /// Every day.
        case daily
        /// One weekday, 0 = Sunday … 6 = Saturday.
        case weekly(weekday: Int)
        /// One day of the month, 1…31.
        case monthly(day: Int)
    }

    /// The two kinds of schedule.
    public enum Rule: Sendable, Hashable {
        /// A local time of day (seconds after midnight) on some days.
        case calendar(Days, secondOfDay: Int)
        /// Every multiple of this many seconds since the Unix epoch.
        case interval(seconds: Int64)
    }

    /// When the job fires.
    public var rule: Rule

    /// The shortest interval accepted from a configuration, in seconds.
    public static let minimumInterval: Int64 = 10

    /// The weekday names accepted, Sunday first.
    static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Creates a calendar schedule.
    public init(days: Days, hour: Int, minute: Int) {
        rule = .calendar(days, secondOfDay: hour * 3600 + minute * 60)
    }

    /// Creates an interval schedule.
    /// - Parameter seconds: The interval; must be positive.
    public init(every seconds: Int64) {
        precondition(seconds > 0, "an interval schedule needs a positive interval")
        rule = .interval(seconds: seconds)
    }

    /// Parses `"HH:MM"`, `"WEEKDAY HH:MM"` (`sun`…`sat`, or full English names), `"DAY HH:MM"` (1…31) or
    /// `"every N[s|m|h]"` (at least 10 seconds).
    /// - Parameters:
    ///   - text: The setting's value.
    ///   - key: The setting's name, for the message.
    /// - Throws: ``ServiceError`` with code `.configuration` naming the expected forms.
    public init(parsing text: String, key: String = "schedule") throws(ServiceError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        func failure() -> ServiceError {
            ServiceError(
                .configuration,
                "\(key) '\(text)' is not a schedule; use \"HH:MM\" (daily), \"sun 03:00\" (weekly), \"1 08:00\" "
                    + "(monthly, day of month) or \"every 3m\" (an interval in s, m or h, at least 10s)"
            )
        }
        if parts.first?.lowercased() == "every" {
            guard parts.count == 2, let seconds = Self.interval(parts[1]) else { throw failure() }
            guard seconds >= Self.minimumInterval else {
                throw ServiceError(
                    .configuration,
                    "\(key) '\(text)' is too short; the shortest interval is \(Self.minimumInterval)s"
                )
            }
            self.init(every: seconds)
            return
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

    /// The seconds of `90s`, `3m` or `2h`; `nil` for anything else or more than a year.
    private static func interval(_ text: Substring) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600]
        guard let last = text.last, let unit = units[Character(last.lowercased())],
            let count = Int64(text.dropLast()), count > 0, count <= 366 * 86_400 / unit
        else { return nil }
        return count * unit
    }

    public var description: String {
        switch rule {
        case .interval(let seconds):
            if seconds % 3600 == 0 { return "every \(seconds / 3600)h" }
            if seconds % 60 == 0 { return "every \(seconds / 60)m" }
            return "every \(seconds)s"
        case .calendar(let days, let secondOfDay):
            let time = "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay / 60 % 60))"
            switch days {
            case .daily: return time
            case .weekly(let weekday): return "\(Self.weekdayNames[weekday]) \(time)"
            case .monthly(let day): return "\(day) \(time)"
            }
        }
    }

    /// The instant a calendar schedule fires on a local day, or `nil` when it does not fire that day. A time
    /// skipped by a daylight-saving change fires at the first instant after the gap; a repeated time at its first
    /// occurrence.
    /// - Parameters:
    ///   - dayNumber: Days since 1970-01-01 in the zone.
    ///   - days: Which days the schedule fires on.
    ///   - secondOfDay: The local time of day.
    ///   - zone: The zone.
    static func fireInstant(onDay dayNumber: Int, days: Days, secondOfDay: Int, in zone: ZoneClock) -> Int64? {
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
    ///   - zone: The zone a calendar schedule is read in (an interval ignores it).
    /// - Returns: Unix seconds.
    /// - Complexity: O(1) for an interval; O(days until the next fire), at most about 62, for a calendar schedule.
    public func next(after instant: Int64, in zone: ZoneClock) -> Int64 {
        switch rule {
        case .interval(let seconds):
            return previous(atOrBefore: instant, in: zone) + seconds
        case .calendar(let days, let secondOfDay):
            let today = zone.dayNumber(at: instant)
            for day in (today - 1)...(today + 63) {
                if let fire = Self.fireInstant(onDay: day, days: days, secondOfDay: secondOfDay, in: zone),
                    fire > instant
                {
                    return fire
                }
            }
            preconditionFailure("every schedule fires at least once in 63 days")
        }
    }

    /// The last fire time at or before an instant.
    /// - Parameters:
    ///   - instant: Unix seconds.
    ///   - zone: The zone a calendar schedule is read in (an interval ignores it).
    /// - Returns: Unix seconds.
    public func previous(atOrBefore instant: Int64, in zone: ZoneClock) -> Int64 {
        switch rule {
        case .interval(let seconds):
            // Floor division, so instants before the epoch round down too.
            let remainder = instant % seconds
            return instant - (remainder < 0 ? remainder + seconds : remainder)
        case .calendar(let days, let secondOfDay):
            let today = zone.dayNumber(at: instant)
            for day in stride(from: today + 1, through: today - 63, by: -1) {
                if let fire = Self.fireInstant(onDay: day, days: days, secondOfDay: secondOfDay, in: zone),
                    fire <= instant
                {
                    return fire
                }
            }
            preconditionFailure("every schedule fires at least once in 63 days")
        }
    }
}

/// A number of 0…99 with a leading zero.
func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
