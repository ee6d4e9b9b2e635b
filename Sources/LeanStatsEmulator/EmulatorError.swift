/// Everything that can stop the emulator from starting or serving, with what to do about it.
public struct EmulatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// A socket call failed (the port is taken, no permission, …).
        case socket
        /// The data to serve could not be read.
        case data
        /// An option is out of range.
        case option
    }

    /// The kind of failure.
    public var code: Code
    /// What happened and how to fix it, as one sentence.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What happened and how to fix it.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "emulator error: \(message)" }
}
