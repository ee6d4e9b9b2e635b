import LeanStatsCore

/// The dashboard's browser sessions: random ids that expire a fixed time after they were opened.
final class SessionStore: Sendable {
    /// The most sessions kept; opening one more drops the expired ones, then the oldest.
    static let capacity = 10_000

    private let lifetime: Double
    private let clock: @Sendable () -> Double
    private let expiries = Locked([String: Double]())

    /// Creates an empty store.
    /// - Parameters:
    ///   - lifetime: Seconds a session stays valid after it was opened.
    ///   - clock: The current time in seconds.
    init(lifetime: Double, clock: @escaping @Sendable () -> Double) {
        self.lifetime = lifetime
        self.clock = clock
    }

    /// Opens a session.
    /// - Returns: Its id: 32 random bytes in hex.
    func open() -> String {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
        }.joined()
        let now = clock()
        expiries.withLock { expiries in
            if expiries.count >= Self.capacity {
                expiries = expiries.filter { $0.value > now }
                while expiries.count >= Self.capacity, let oldest = expiries.min(by: { $0.value < $1.value }) {
                    expiries[oldest.key] = nil
                }
            }
            expiries[id] = now + lifetime
        }
        return id
    }

    /// Whether `id` is an open session that has not expired; an expired one is forgotten.
    func isValid(_ id: String) -> Bool {
        let now = clock()
        return expiries.withLock { expiries in
            guard let expiry = expiries[id] else { return false }
            if expiry > now { return true }
            expiries[id] = nil
            return false
        }
    }
}
