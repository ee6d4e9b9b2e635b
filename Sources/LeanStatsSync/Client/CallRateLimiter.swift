/// Keeps the calls of one API within `limit` per second, measured the way the server measures: no one-second
/// window sees more than `limit` arrivals.
///
/// It is a token bucket of `limit` tokens shared by all concurrent requests, with one twist: a token returns one
/// second after the call that spent it *completes*, not after it starts. A response proves the request has
/// arrived, so the next call that reuses the token arrives more than a second after it, however the network
/// delays either one. Retries take tokens like any call.
actor CallRateLimiter {
    private let limit: Int
    private let window = Duration.seconds(1)
    private var inFlight = 0
    /// Completion times within the last window, oldest first.
    private var completions: [ContinuousClock.Instant] = []
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates a limiter.
    /// - Parameter limit: Calls allowed per one-second window.
    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for a token. Call ``release()`` when the call's response (or failure) is in.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    func acquire() async throws(CancellationError) {
        while true {
            if Task.isCancelled { throw CancellationError() }
            let now = ContinuousClock.now
            completions.removeAll { $0 + window <= now }
            if inFlight + completions.count < limit {
                inFlight += 1
                return
            }
            if let oldest = completions.first {
                try? await Task.sleep(until: oldest + window, clock: .continuous)
            } else {
                await withCheckedContinuation { waiters.append($0) }
            }
        }
    }

    /// Returns a token; it becomes usable one second from now.
    func release() {
        inFlight -= 1
        completions.append(ContinuousClock.now)
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.resume() }
    }
}

/// One ``CallRateLimiter`` per API path, created on first use.
actor RateLimiters {
    private let limit: Int
    private var limiters: [String: CallRateLimiter] = [:]

    /// Creates the set.
    /// - Parameter limit: Calls allowed per API per second (`sync.qps`).
    init(limit: Int) {
        self.limit = limit
    }

    /// The limiter of an API.
    func limiter(for api: String) -> CallRateLimiter {
        if let limiter = limiters[api] { return limiter }
        let limiter = CallRateLimiter(limit: limit)
        limiters[api] = limiter
        return limiter
    }
}
