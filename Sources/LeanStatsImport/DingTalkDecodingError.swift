/// Why one DingTalk instance detail could not be turned into an `InstanceRecord`.
public struct DingTalkDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// The bytes are not JSON.
        case invalidJSON
        /// The JSON is not an object.
        case notAnObject
        /// The object is an error response (`errcode` ≠ 0, or a v1.0 `{"code","message"}` body).
        case apiError
        /// A required value (the create time, an instance id) is absent.
        case missingValue
        /// A value is present but unreadable (a time, a status, a result).
        case invalidValue
    }

    /// What went wrong.
    public let code: Code
    /// The reason, naming the key and the bad value, e.g. `createTime '2026-13-01T00:00Z' is not a time; …`.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: The reason shown to the user.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The reason, as one phrase.
    public var description: String { message }
}
