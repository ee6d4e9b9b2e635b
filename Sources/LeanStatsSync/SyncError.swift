/// Everything that can stop or spoil a sync, with what to do about it.
///
/// The description is one sentence for the user, e.g. `DingTalk rejected the app credentials
/// (invalidClientIdOrSecret: 无效的clientId或者clientSecret); check dingtalk.app_key and dingtalk.app_secret`.
/// It never contains a secret.
public struct SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// A setting is missing or out of range.
        case configuration
        /// DingTalk rejected the app key or secret.
        case credentials
        /// The app lacks a permission, or this machine's IP is not allowed.
        case permission
        /// DingTalk does not know a configured process code.
        case processCode
        /// DingTalk refused a request as malformed (a window, a page size, a cursor).
        case request
        /// An instance (or a user, a department) does not exist; affects that item only.
        case notFound
        /// DingTalk says an instance no longer exists (v1.0 `processInstanceNotExist`): it was deleted there, and
        /// the store drops it too.
        case deleted
        /// DingTalk kept throttling after every retry.
        case throttled
        /// The organisation's monthly API quota is used up (90020 / `ApiCountLimitForOrg`); a clean stop.
        case quotaExhausted
        /// `sync.monthly_call_budget` is reached; a clean stop.
        case budgetReached
        /// The host could not be reached after every retry.
        case network
        /// DingTalk kept failing (HTTP 5xx, `errcode` -1/15) after every retry.
        case server
        /// A response could not be understood (not JSON, truncated, an unexpected shape) after every retry.
        case invalidResponse
        /// The snapshot store could not be read or written.
        case store
        /// Another process is writing to the data directory.
        case locked
        /// The sync was interrupted (another request failed and the rest were called off).
        case cancelled
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and how to fix it.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: What happened and how to fix it; must not contain secrets.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether this is a clean stop (quota or budget used up) rather than a failure: progress is saved and the
    /// next sync continues.
    public var isCleanStop: Bool {
        code == .quotaExhausted || code == .budgetReached
    }

    public var description: String { message }
}
