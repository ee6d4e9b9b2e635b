import Foundation

/// Holds the access token and refreshes it: once before it expires, and once when DingTalk rejects it, however
/// many calls notice at the same time.
///
/// A call that sees its token rejected reports that token with ``reject(_:)``; only the first report for the
/// current token clears it, and the next ``token()`` starts one refresh that every waiting call shares.
actor AccessTokenCache {
    /// Fetches a fresh token and its lifetime in seconds.
    typealias Fetch = @Sendable () async throws(SyncError) -> (token: String, lifetime: Int)

    private let fetch: Fetch
    private let now: @Sendable () -> ContinuousClock.Instant
    private var current: (token: String, refreshAt: ContinuousClock.Instant)?
    private var pending: Task<Result<String, SyncError>, Never>?
    /// Tokens ever issued in this process, for redacting them from messages.
    private(set) var issued: [String] = []
    /// How many tokens were fetched.
    private(set) var fetches = 0
    /// Tokens some call succeeded with (the last few).
    private var usedTokens = Set<String>()
    /// Tokens rejected, in a row, before any call succeeded with them.
    private var rejectedUnused: [String] = []
    /// How many fresh tokens in a row may be rejected before the cause is taken to be the credentials, not bad
    /// luck (a token can expire between issue and first use while many calls are in flight).
    static let unusedRejectionLimit = 3

    /// Creates a cache.
    /// - Parameters:
    ///   - now: The monotonic clock expiry is measured on (tests pass a manual one).
    ///   - fetch: Gets a fresh token from DingTalk.
    init(now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, fetch: @escaping Fetch) {
        self.now = now
        self.fetch = fetch
    }

    /// The current token, fetching one when there is none or it is about to expire.
    /// - Throws: ``SyncError`` when the token API fails (bad credentials, unreachable host, …).
    func token() async throws(SyncError) -> String {
        if let current, now() < current.refreshAt { return current.token }
        if let pending { return try await Self.result(of: pending) }
        let fetch = self.fetch
        let task = Task.detached { () -> Result<String, SyncError> in
            let result: Result<(token: String, lifetime: Int), SyncError>
            do throws(SyncError) {
                result = .success(try await fetch())
            } catch {
                result = .failure(error)
            }
            await self.complete(result)
            return result.map(\.token)
        }
        pending = task
        return try await Self.result(of: task)
    }

    /// Waits for the shared fetch. The fetch runs detached so that one caller's cancellation does not fail the
    /// others; but every caller belongs to the same sync, so a cancelled caller means the sync is stopping, and
    /// the fetch (with its retries and back-off) is cancelled too rather than holding up the stop.
    private static func result(of task: Task<Result<String, SyncError>, Never>) async throws(SyncError) -> String {
        try await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }.get()
    }

    /// What to do after DingTalk rejected a token.
    enum Rejection: Equatable {
        /// Get a fresh token (shared with the other calls that saw the same rejection) and retry.
        case refresh
        /// Several fresh tokens in a row were rejected before any call succeeded with them: the credentials or the
        /// app's setup are wrong, and refreshing again would not help.
        case giveUp
    }

    /// Notes that a call succeeded with a token.
    func succeeded(with token: String) {
        if usedTokens.count > 8 { usedTokens.removeAll() }
        usedTokens.insert(token)
        rejectedUnused = []
    }

    /// Forgets `token` if it is still the current one, so that the next ``token()`` fetches a new one.
    /// - Parameter token: The token DingTalk rejected.
    /// - Returns: Whether refreshing makes sense.
    func reject(_ token: String) -> Rejection {
        if current?.token == token { current = nil }
        guard !usedTokens.contains(token) else {
            rejectedUnused = []
            return .refresh
        }
        if !rejectedUnused.contains(token) { rejectedUnused.append(token) }
        return rejectedUnused.count >= Self.unusedRejectionLimit ? .giveUp : .refresh
    }

    private func complete(_ result: Result<(token: String, lifetime: Int), SyncError>) {
        pending = nil
        guard case .success(let (token, lifetime)) = result else { return }
        fetches += 1
        if !issued.contains(token) { issued.append(token) }
        // Refresh ten minutes before expiry (DingTalk's advice), or at 80 % of a short lifetime.
        let validity = Duration.seconds(max(1, lifetime))
        let margin = min(Duration.seconds(600), validity / 5)
        current = (token, now() + validity - margin)
    }
}
