/// The delays between reconnection attempts: exponential from ``initialMilliseconds`` to ``maximumMilliseconds``
/// with jitter (`docs/dingtalk-api-notes.md` §12.1).
public struct StreamBackoff: Sendable, Equatable {
    /// The first delay's upper bound.
    public var initialMilliseconds: Int
    /// The cap.
    public var maximumMilliseconds: Int

    /// Creates a backoff; DingTalk's SDKs use 1 s doubling up to 60 s.
    public init(initialMilliseconds: Int = 1000, maximumMilliseconds: Int = 60_000) {
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
    }

    /// The ceiling of the delay before an attempt: `initial × 2^(attempt−1)`, capped.
    /// - Parameter attempt: 1 for the first reconnection after a failure.
    public func ceiling(attempt: Int) -> Int {
        let doublings = min(max(attempt, 1) - 1, 30)
        return min(maximumMilliseconds, initialMilliseconds << doublings)
    }

    /// The delay before an attempt: uniformly between half the ceiling and the ceiling, so clients that lost the
    /// gateway together do not return together.
    /// - Parameters:
    ///   - attempt: 1 for the first reconnection after a failure.
    ///   - generator: The source of the jitter.
    /// - Returns: Milliseconds.
    public func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> Int {
        let ceiling = ceiling(attempt: attempt)
        guard ceiling > 1 else { return max(ceiling, 0) }
        return Int.random(in: (ceiling / 2)...ceiling, using: &generator)
    }
}

/// The ids seen lately, to drop redelivered and duplicated events: a set bounded to the last ``capacity`` ids.
struct RecentIds: Sendable {
    let capacity: Int
    private var order: [String] = []
    private var next = 0
    private var members: Set<String> = []

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func contains(_ id: String) -> Bool { members.contains(id) }

    /// Remembers an id, forgetting the oldest when full.
    /// - Complexity: O(1) amortised.
    mutating func insert(_ id: String) {
        guard !members.contains(id) else { return }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
        members.insert(id)
    }
}
