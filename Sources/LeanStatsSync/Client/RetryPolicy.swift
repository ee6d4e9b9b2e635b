/// How long to wait before each retry: exponential backoff with jitter, honouring a server's `Retry-After` up to a
/// cap.
struct RetryPolicy: Sendable {
    /// Retries per call (`sync.retries`).
    let retries: Int
    /// The first retry's delay (`sync.backoff_ms`).
    let base: Duration
    /// The longest delay (`sync.backoff_max_ms`).
    let maximum: Duration

    init(settings: SyncSettings) {
        retries = settings.retries
        base = .milliseconds(settings.backoffMilliseconds)
        maximum = .milliseconds(settings.backoffMaxMilliseconds)
    }

    /// The delay before retry number `attempt` (1 for the first retry).
    /// - Parameters:
    ///   - attempt: The retry about to be made, from 1.
    ///   - retryAfter: Seconds the server asked to wait, if it did.
    /// - Returns: A random delay between half and all of `base × 2^(attempt−1)`, at least `retryAfter`, at most
    ///   ``maximum``.
    func delay(attempt: Int, retryAfter: Double? = nil) -> Duration {
        let exponential = base * (1 << min(max(attempt - 1, 0), 20))
        let capped = min(exponential, maximum)
        let jittered = capped * Double.random(in: 0.5...1.0)
        let floor = retryAfter.map { Duration.milliseconds(Int64(($0 * 1000).rounded())) } ?? .zero
        return min(max(jittered, floor), maximum)
    }
}
