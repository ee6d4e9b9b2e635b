import Foundation

/// The sync's wall clock: what "now" is when windows are planned (DingTalk lists at most 365 days back from now)
/// and which calendar month a call is counted in.
///
/// Tests and trials against the emulator run on a shifted clock (``ShiftedSyncClock``), because the bundled sample
/// ends in 2025-11 and would be out of the API's reach on the real clock.
public protocol SyncClock: Sendable {
    /// The current time, Unix epoch milliseconds.
    func now() -> Int64
}

/// The real clock.
public struct SystemSyncClock: SyncClock {
    /// Creates the real clock.
    public init() {}

    /// The current time, Unix epoch milliseconds.
    public func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// A clock that reads a chosen time when it is created and then advances in real time (`leanstats sync --now`).
public struct ShiftedSyncClock: SyncClock {
    private let offset: Int64

    /// Creates a clock that reads `now` at this moment.
    /// - Parameter now: The time to start from, Unix epoch milliseconds.
    public init(startingAt now: Int64) {
        offset = now - SystemSyncClock().now()
    }

    /// The current shifted time, Unix epoch milliseconds.
    public func now() -> Int64 {
        SystemSyncClock().now() + offset
    }
}
