/// The ranges of times and benefit amounts LeanStats accepts where data enters the store (import, sync, snapshot
/// load), so that every later computation on them stays exact and cannot overflow.
///
/// `docs/value-limits.md` gives the reasons for each bound.
public enum ValueLimits {
    /// Instants (seconds since 1970-01-01 00:00:00 UTC) an instance's create or finish time may take: from
    /// 1970-01-01 00:00:00 UTC up to, not including, 2200-01-01 00:00:00 UTC.
    public static let instants: Range<Int64> = 0..<7_258_118_400

    /// The supported time window, as error messages name it.
    public static let instantsText = "1970-01-01 00:00:00 UTC to 2199-12-31 23:59:59 UTC"

    /// The largest benefit amount, in cents, either sign: 10,000,000,000,000 yuan.
    public static let maximumBenefitCents: Int64 = 1_000_000_000_000_000

    /// The supported benefit amounts, as error messages name them.
    public static let benefitText = "-10000000000000 to 10000000000000 yuan"

    /// Whether an instant lies inside ``instants``.
    /// - Parameter instant: Seconds since 1970-01-01 00:00:00 UTC.
    /// - Returns: `true` when the instant is supported.
    @inline(__always)
    public static func contains(instant: Int64) -> Bool { instants.contains(instant) }

    /// Whether epoch milliseconds, as a JSON number or numeric string gives them, fall inside ``instants``.
    /// - Parameter milliseconds: Milliseconds since 1970-01-01 00:00:00 UTC (any `Double`, also NaN or infinite).
    /// - Returns: The instant in whole seconds (rounded down), or `nil` when it is outside the window.
    public static func instant(epochMilliseconds milliseconds: Double) -> Int64? {
        let seconds = (milliseconds / 1000).rounded(.down)
        guard seconds.isFinite, seconds >= Double(instants.lowerBound), seconds < Double(instants.upperBound) else {
            return nil
        }
        return Int64(seconds)
    }

    /// What a benefit form value says as a number.
    public enum BenefitAmount: Sendable, Hashable {
        /// The text is not a number; `benefit_sum` leaves it out.
        case notANumber
        /// A supported amount, in cents.
        case cents(Int64)
        /// A number whose magnitude exceeds ``ValueLimits/maximumBenefitCents``.
        case outOfRange
    }

    /// Reads a benefit form value: plain numbers as DingTalk's number and money fields send them, or text with
    /// thousands separators, a currency sign or a trailing `元`.
    /// - Parameter text: The form value.
    /// - Returns: The amount in cents, or why there is none.
    public static func benefitAmount(_ text: String) -> BenefitAmount {
        guard let value = parseAmount(text) else { return .notANumber }
        let cents = (value * 100).rounded()
        guard abs(cents) <= Double(maximumBenefitCents) else { return .outOfRange }
        return .cents(Int64(cents))
    }
}
