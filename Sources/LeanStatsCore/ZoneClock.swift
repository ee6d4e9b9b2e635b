import Foundation

/// Converts between Unix time and local wall-clock time in one time zone, fast enough for per-row use.
///
/// The UTC offsets are read once from the system time-zone database into a transition table, so a
/// conversion is a binary search over a handful of transitions instead of a Foundation calendar call.
public struct ZoneClock: Sendable {
    /// The IANA identifier, e.g. `Asia/Shanghai`.
    public let identifier: String
    /// Instants (Unix seconds) at which the offset changes, ascending.
    private let transitions: [Int64]
    /// `offsets[i]` is in force before `transitions[i]`; the last entry after the last transition.
    private let offsets: [Int64]

    /// Errors from resolving a time zone.
    public struct UnknownZone: Error, CustomStringConvertible {
        /// The identifier that was not found.
        public let identifier: String
        public var description: String {
            "unknown time zone '\(identifier)'; use an IANA name such as Asia/Shanghai (see /usr/share/zoneinfo)"
        }
    }

    /// Reads the offsets of a zone between 1900 and 2200.
    /// - Throws: ``UnknownZone`` when the system does not know the identifier.
    public init(identifier: String) throws {
        guard let zone = TimeZone(identifier: identifier) else { throw UnknownZone(identifier: identifier) }
        self.identifier = identifier
        var transitions: [Int64] = []
        var offsets: [Int64] = []
        var cursor = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01
        let end = Date(timeIntervalSince1970: 7_258_118_400)  // 2200-01-01
        offsets.append(Int64(zone.secondsFromGMT(for: cursor)))
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end {
            let offset = Int64(zone.secondsFromGMT(for: next))
            if offset != offsets.last {
                transitions.append(Int64(next.timeIntervalSince1970.rounded()))
                offsets.append(offset)
            }
            cursor = next
        }
        // Zones that changed their standard offset without a DST rule: sample yearly as a safety net.
        if transitions.isEmpty {
            var year: Int64 = -2_208_988_800
            var last = offsets[0]
            while year < 7_258_118_400 {
                let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(year))))
                if offset != last {
                    transitions.append(year)
                    offsets.append(offset)
                    last = offset
                }
                year += 86_400 * 30
            }
        }
        self.transitions = transitions
        self.offsets = offsets
    }

    /// The UTC offset in seconds in force at an instant.
    /// - Complexity: O(log t) for t offset transitions.
    @inline(__always)
    public func offset(at instant: Int64) -> Int64 {
        // Most instants fall after the zone's last change (Asia/Shanghai: 1991): no search needed.
        guard let last = transitions.last else { return offsets[0] }
        if instant >= last { return offsets[offsets.count - 1] }
        var low = 0
        var high = transitions.count
        while low < high {
            let mid = (low + high) >> 1
            if transitions[mid] <= instant { low = mid + 1 } else { high = mid }
        }
        return offsets[low]
    }

    /// The local calendar day (days since 1970-01-01) of an instant.
    @inline(__always)
    public func dayNumber(at instant: Int64) -> Int {
        let local = instant + offset(at: instant)
        return Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
    }

    /// The local date of an instant.
    public func date(at instant: Int64) -> CivilDate { CivilDate(dayNumber: dayNumber(at: instant)) }

    /// The instant of a local wall-clock time; a time skipped by a DST change maps forward, a repeated one to
    /// its first occurrence.
    /// - Parameter localSeconds: seconds since 1970-01-01 00:00:00 *local* time.
    public func instant(localSeconds: Int64) -> Int64 {
        let first = localSeconds - offset(at: localSeconds - offsets[0])
        let earlier = localSeconds - offset(at: first - 7200)
        if earlier + offset(at: earlier) == localSeconds { return min(first, earlier) }
        if first + offset(at: first) == localSeconds { return first }
        return localSeconds - offset(at: first - 86_400)
    }

    /// The instant at which a local calendar day begins.
    public func startOfDay(_ dayNumber: Int) -> Int64 {
        instant(localSeconds: Int64(dayNumber) * 86_400)
    }

    /// Formats an instant as local `YYYY-MM-DD HH:MM:SS`.
    public func format(_ instant: Int64) -> String {
        let local = instant + offset(at: instant)
        let day = Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
        let seconds = Int(local - Int64(day) * 86_400)
        let date = CivilDate(dayNumber: day)
        return "\(date) \(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
    }

    /// Parses local `YYYY-MM-DD HH:MM:SS` (also `YYYY-MM-DDTHH:MM[:SS]`, with an optional trailing `Z` that is
    /// read as local time, as DingTalk's v1.0 API writes it, and an optional fraction of a second) into an instant.
    /// - Returns: `nil` when the text is not such a time.
    public func parseLocal(_ text: Substring) -> Int64? {
        guard let local = parseLocalSeconds(text) else { return nil }
        return instant(localSeconds: local)
    }

    /// Parses a local time (see ``parseLocal(_:)``).
    public func parseLocal(_ text: String) -> Int64? { parseLocal(Substring(text)) }
}

/// Parses `YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z]` or `YYYY-MM-DD` into seconds since 1970 on the local wall clock.
public func parseLocalSeconds(_ text: Substring) -> Int64? {
    var text = text
    return text.withUTF8(parseLocalSeconds(bytes:))
}

/// Parses the UTF-8 bytes of a local time (see ``parseLocalSeconds(_:)``) without allocating: trailing spaces
/// and a trailing `Z` are ignored, a leap second counts as second 59, and a fraction of a second is dropped.
/// - Parameter bytes: The text of the time.
/// - Returns: Seconds since 1970-01-01 00:00:00 on the local wall clock, or `nil` when the text is not a time.
/// - Complexity: O(n), no allocation.
public func parseLocalSeconds(bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
    var end = bytes.count
    while end > 0, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
    if end > 0, bytes[end - 1] == UInt8(ascii: "Z") { end -= 1 }
    @inline(__always) func number(_ start: Int, _ count: Int) -> Int? {
        guard start + count <= end else { return nil }
        var value = 0
        for index in start..<(start + count) {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
    guard end >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
        let year = number(0, 4), let month = number(5, 2), let day = number(8, 2)
    else { return nil }
    let date = CivilDate(year: year, month: month, day: day)
    guard date.isValid else { return nil }
    var seconds = 0
    if end > 10 {
        guard bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"), end >= 16,
            bytes[13] == UInt8(ascii: ":"), let hour = number(11, 2), let minute = number(14, 2), hour < 24, minute < 60
        else { return nil }
        seconds = hour * 3600 + minute * 60
        if end > 16 {
            guard bytes[16] == UInt8(ascii: ":"), let second = number(17, 2), second < 61 else { return nil }
            seconds += min(second, 59)
            if end > 19 {
                guard bytes[19] == UInt8(ascii: "."), end > 20,
                    (20..<end).allSatisfy({ bytes[$0] &- UInt8(ascii: "0") < 10 })
                else { return nil }
            }
        }
    }
    return Int64(date.dayNumber) * 86_400 + Int64(seconds)
}
