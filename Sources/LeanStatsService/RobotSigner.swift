import Foundation
import LeanStatsCore

/// Signs robot webhooks: `timestamp=MS&sign=S` with S = urlencode(base64(HmacSHA256(key: secret,
/// message: timestamp + "\n" + secret))) (`docs/dingtalk-delivery.md`).
public enum RobotSigner {
    /// The signature of a timestamp, base64, not yet URL-encoded.
    /// - Parameters:
    ///   - timestamp: Unix epoch milliseconds.
    ///   - secret: The robot's `SEC…` secret.
    /// - Returns: The base64 text.
    public static func signature(timestamp: Int64, secret: String) -> String {
        let code = SHA256.hmac(key: Array(secret.utf8), message: Array("\(timestamp)\n\(secret)".utf8))
        return Data(code).base64EncodedString()
    }

    /// The URL to post to: the webhook, plus `timestamp` and `sign` when there is a secret.
    /// - Parameters:
    ///   - webhook: The robot's webhook with its `access_token`.
    ///   - secret: The secret, `nil` for an unsigned robot.
    ///   - timestamp: Unix epoch milliseconds.
    /// - Returns: The signed URL.
    public static func signedURL(webhook: String, secret: String?, timestamp: Int64) -> String {
        guard let secret, !secret.isEmpty else { return webhook }
        let sign = signature(timestamp: timestamp, secret: secret)
        let encoded = sign.addingPercentEncoding(withAllowedCharacters: unreserved) ?? sign
        let separator = webhook.contains("?") ? "&" : "?"
        return "\(webhook)\(separator)timestamp=\(timestamp)&sign=\(encoded)"
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
}
