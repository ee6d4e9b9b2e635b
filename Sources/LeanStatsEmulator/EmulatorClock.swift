import Foundation
import LeanStatsCore

/// The emulator's idea of "now": the real clock shifted by a fixed offset, so that a sample whose newest instance
/// is a year old can be served as if it were recent.
///
/// DingTalk only lists instances created in the last 365 days, so the bundled sample (2024-12 to 2025-11) would be
/// out of reach on the real clock. The emulator therefore runs on a shifted clock: by default "now" starts at the
/// beginning of the Beijing day after the newest instance and then advances in real time. Tests move it on with
/// ``advance(byMilliseconds:)``; clients are told the same "now" (`leanstats sync --now …`).
public final class EmulatorClock: Sendable {
    private let offset: Locked<Int64>
    /// Whether the clock stands still between ``set(now:)`` and ``advance(byMilliseconds:)`` calls.
    private let frozen: Bool

    /// A clock that reads `now` at this moment and advances in real time from there.
    /// - Parameter now: The current time in Unix epoch milliseconds, or `nil` for the real clock.
    public init(now: Int64? = nil) {
        offset = Locked(now.map { $0 - Self.realMilliseconds() } ?? 0)
        frozen = false
    }

    /// A clock that reads `now` and moves only when a test moves it, so limits measured on it (a robot's
    /// messages per minute) do not depend on how fast the machine is.
    /// - Parameter now: The current time in Unix epoch milliseconds.
    public init(frozenAt now: Int64) {
        offset = Locked(now)
        frozen = true
    }

    /// The current emulated time, Unix epoch milliseconds.
    public func now() -> Int64 {
        (frozen ? 0 : Self.realMilliseconds()) + offset.withLock { $0 }
    }

    /// Moves the clock to a new current time (it keeps advancing in real time from there unless frozen).
    /// - Parameter now: The new current time, Unix epoch milliseconds.
    public func set(now: Int64) {
        offset.withLock { $0 = now - (frozen ? 0 : Self.realMilliseconds()) }
    }

    /// Moves the clock forward (or back, for a negative amount).
    /// - Parameter milliseconds: How far to move.
    public func advance(byMilliseconds milliseconds: Int64) {
        offset.withLock { $0 += milliseconds }
    }

    static func realMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
