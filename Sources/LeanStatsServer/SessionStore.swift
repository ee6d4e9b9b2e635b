import LeanStatsCore

/// The dashboard's browser sessions: random ids that expire a fixed time after they were opened, each with the
/// viewer it belongs to.
final class SessionStore: Sendable {
    /// The most sessions kept; opening one more drops the expired ones, then the oldest.
    static let capacity = 10_000

    private let lifetime: Double
    private let clock: @Sendable () -> Double
    private let sessions = Locked([String: (expiry: Double, viewer: Viewer)]())

    /// Creates an empty store.
    /// - Parameters:
    ///   - lifetime: Seconds a session stays valid after it was opened.
    ///   - clock: The current time in seconds.
    init(lifetime: Double, clock: @escaping @Sendable () -> Double) {
        self.lifetime = lifetime
        self.clock = clock
    }

    /// 32 random bytes in hex.
    static func randomId() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
        }.joined()
    }

    /// Opens a session.
    /// - Parameter viewer: Whom the session belongs to.
    /// - Returns: Its id: 32 random bytes in hex.
    func open(for viewer: Viewer = .token) -> String {
        let id = Self.randomId()
        let now = clock()
        sessions.withLock { sessions in
            if sessions.count >= Self.capacity {
                sessions = sessions.filter { $0.value.expiry > now }
                while sessions.count >= Self.capacity,
                    let oldest = sessions.min(by: { $0.value.expiry < $1.value.expiry })
                {
                    sessions[oldest.key] = nil
                }
            }
            sessions[id] = (now + lifetime, viewer)
        }
        return id
    }

    /// The viewer of `id` while the session is open and has not expired; an expired one is forgotten.
    func viewer(_ id: String) -> Viewer? {
        let now = clock()
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            if session.expiry > now { return session.viewer }
            sessions[id] = nil
            return nil
        }
    }

    /// Ends a session (logout). Unknown ids are ignored.
    func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }
}
