/// Why the dashboard server could not start or serve.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure it is.
    public enum Code: String, Sendable {
        /// The listening address could not be bound.
        case bind
        /// The login configuration is incomplete or wrong.
        case configuration
        /// A DingTalk login failed: a bad or replayed callback, or DingTalk refused a step.
        case login
        /// The DingTalk account is not a member of the organisation.
        case notInOrganisation
    }

    /// The kind of failure.
    public let code: Code
    /// One sentence saying what failed and how to fix it.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "server error: \(message)" }
}
