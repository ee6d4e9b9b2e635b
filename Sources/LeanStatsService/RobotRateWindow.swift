/// The client side of a robot's limit of 20 messages a minute (`docs/dingtalk-delivery.md`): remembers when the
/// recent messages went out and says when the next one may.
///
/// Pure logic: the time is an argument (Unix milliseconds).
public struct RobotRateWindow: Sendable, Equatable {
    /// Messages allowed in any window of ``windowMilliseconds``.
    public var limit: Int
    /// The window's length.
    public var windowMilliseconds: Int64
    /// Send times inside the current window, oldest first.
    private(set) var sent: [Int64] = []

    /// Creates a window.
    /// - Parameters:
    ///   - limit: Messages per window (DingTalk: 20).
    ///   - windowMilliseconds: The window (DingTalk: one minute).
    public init(limit: Int = 20, windowMilliseconds: Int64 = 60_000) {
        self.limit = limit
        self.windowMilliseconds = windowMilliseconds
    }

    /// When the next message may go out: `now` when there is room, else the moment the oldest send leaves the
    /// window.
    /// - Parameter now: Unix milliseconds.
    public func nextSlot(now: Int64) -> Int64 {
        let recent = sent.filter { now - $0 < windowMilliseconds }
        guard recent.count >= limit else { return now }
        return recent[recent.count - limit] + windowMilliseconds
    }

    /// Records a message sent at `now` and forgets those outside the window.
    /// - Parameter now: Unix milliseconds.
    public mutating func record(now: Int64) {
        sent.removeAll { now - $0 >= windowMilliseconds }
        sent.append(now)
    }
}
