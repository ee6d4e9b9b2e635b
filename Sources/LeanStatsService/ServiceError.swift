/// Everything the unattended service (schedule, mail, robot, alerts, monthly report, doctor) can fail with, and how
/// to fix it.
///
/// The description is one sentence, e.g. `service error: schedule.daily '25:00' is not a time; use HH:MM such as
/// 02:00`. It never contains a password.
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// A setting is missing, malformed or out of range.
        case configuration
        /// A secret file is missing or readable by group or others.
        case secret
        /// The SMTP server could not be reached or refused the message.
        case mail
        /// A state file could not be read or written.
        case state
        /// The data directory is in use by another process (a sync is running).
        case busy
        /// The report could not be written.
        case report
        /// A DingTalk group robot could not be reached or refused the message.
        case robot
        /// DingTalk refused the work notification or could not be reached.
        case workNotification
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and how to fix it; never a secret.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: What happened and how to fix it; must not contain secrets.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "service error: \(message)" }
}
