import LeanStatsCore

/// Why one value of a row cannot be used; becomes an ``ImportIssue`` reason or a ``DingTalkDecodingError``.
struct FieldProblem: Error {
    var reason: String
}

/// The checks every import format applies to an instance's values, so that CSV, TSV and JSON reject the same
/// things with the same words.
enum InstanceFieldRules {
    static let timeFormat = "YYYY-MM-DD HH:MM:SS"
    static let statusCodes = InstanceStatus.allCases.map(\.code).joined(separator: ", ")

    /// Parses a local time in the clock's zone.
    /// - Parameters:
    ///   - text: The value as written.
    ///   - column: The column or key name, for the reason.
    ///   - clock: The zone the time is read in.
    ///   - expected: The format named in the reason.
    static func time(
        _ text: String,
        column: String,
        clock: ZoneClock,
        expected: String = timeFormat
    ) throws(FieldProblem) -> Int64 {
        if let instant = clock.parseLocal(text) { return try supported(instant, column: column, text: text) }
        throw FieldProblem(
            reason: "\(column) '\(text)' is not a time; expected \(expected) (local time)"
        )
    }

    /// Checks that an instant lies in the supported window (``ValueLimits/instants``).
    /// - Parameters:
    ///   - instant: The instant read from the value, `nil` when it did not even fit the arithmetic.
    ///   - column: The column or key name, for the reason.
    ///   - text: The value as written, for the reason.
    /// - Returns: The instant.
    static func supported(
        _ instant: Int64?,
        column: String,
        text: @autoclosure () -> String
    ) throws(FieldProblem)
        -> Int64
    {
        if let instant, ValueLimits.contains(instant: instant) { return instant }
        throw FieldProblem(
            reason: "\(column) '\(text())' is outside the supported time range \(ValueLimits.instantsText); "
                + "correct the time"
        )
    }

    /// Checks a value of the benefit form field (``StatisticsEngine/defaultBenefitField``): text that is not a
    /// number is kept (`benefit_sum` leaves it out), a number must lie within ``ValueLimits/maximumBenefitCents``.
    /// - Parameters:
    ///   - text: The value as written.
    ///   - field: The field name, for the reason.
    static func benefit(_ text: String, field: String) throws(FieldProblem) {
        guard case .outOfRange = ValueLimits.benefitAmount(text) else { return }
        throw FieldProblem(
            reason: "form field \(field) '\(text)' is outside the supported amounts \(ValueLimits.benefitText); "
                + "correct the amount"
        )
    }

    /// Parses a status code, ignoring case.
    static func status(_ text: String, column: String) throws(FieldProblem) -> InstanceStatus {
        if let status = InstanceStatus(code: text) { return status }
        throw FieldProblem(reason: "\(column) '\(text)' is not one of \(statusCodes)")
    }

    /// Parses a result code, ignoring case.
    static func result(_ text: String, column: String) throws(FieldProblem) -> InstanceResult {
        if let result = InstanceResult(code: text) { return result }
        throw FieldProblem(reason: "\(column) '\(text)' is not one of agree, refuse")
    }

    static func missing(_ column: String, expected: String? = nil) -> FieldProblem {
        FieldProblem(reason: "\(column) is missing" + (expected.map { "; expected \($0)" } ?? ""))
    }
}

/// Byte-level fast paths for the codes that fill every row of a MySQL export, so the common case allocates no
/// string; anything they do not recognise goes to the general rules above, which decide.
enum InstanceFieldFastPath {
    /// The status whose code the bytes spell exactly in upper case; `nil` otherwise (the general rule then
    /// ignores case or reports the value).
    @inline(__always)
    static func status(_ bytes: UnsafeBufferPointer<UInt8>) -> InstanceStatus? {
        for status in InstanceStatus.allCases where equals(bytes, statusCodes[Int(status.rawValue)]) {
            return status
        }
        return nil
    }

    /// The result whose code the bytes spell exactly in lower case; `nil` otherwise.
    @inline(__always)
    static func result(_ bytes: UnsafeBufferPointer<UInt8>) -> InstanceResult? {
        if equals(bytes, agree) { return .agree }
        if equals(bytes, refuse) { return .refuse }
        return nil
    }

    /// The UTF-8 codes of the statuses, indexed by raw value.
    private static let statusCodes: [[UInt8]] =
        [[]] + InstanceStatus.allCases.sorted { $0.rawValue < $1.rawValue }.map { Array($0.code.utf8) }
    private static let agree = Array(InstanceResult.agree.code.utf8)
    private static let refuse = Array(InstanceResult.refuse.code.utf8)

    @inline(__always)
    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ code: [UInt8]) -> Bool {
        guard bytes.count == code.count else { return false }
        for index in 0..<code.count where bytes[index] != code[index] { return false }
        return true
    }
}
