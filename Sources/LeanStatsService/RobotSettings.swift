import Foundation

/// A DingTalk custom group robot: its webhook and signing secret (`[alerts] robot_webhook`, `robot_secret`; the
/// monthly summary may use its own, `[report] robot_webhook`, `robot_secret`). See `docs/dingtalk-delivery.md`.
public struct RobotSettings: Sendable, Equatable {
    /// The webhook, `https://oapi.dingtalk.com/robot/send?access_token=…`; it is a credential, never printed whole.
    public var webhook: String
    /// The signing secret (`SEC…`), `nil` for a robot secured by keyword or IP only; never printed.
    public var secret: String?
    /// The section the settings come from (`alerts` or `report`), for messages.
    public var section: String
    /// The time limit of one post, seconds.
    public var timeoutSeconds: Double = 15

    /// Creates settings.
    /// - Parameters:
    ///   - webhook: The webhook URL.
    ///   - secret: The signing secret.
    ///   - section: The configuration section, for messages.
    public init(webhook: String, secret: String?, section: String = "alerts") {
        self.webhook = webhook
        self.secret = secret
        self.section = section
    }

    /// The webhook's `access_token`, `nil` when it has none.
    public var accessToken: String? {
        URLComponents(string: webhook)?.queryItems?.first { $0.name == "access_token" }?.value.flatMap {
            $0.isEmpty ? nil : $0
        }
    }

    /// The webhook without its access token, for messages: `https://oapi.dingtalk.com/robot/send`.
    public var redactedWebhook: String {
        guard var components = URLComponents(string: webhook) else { return "\(section).robot_webhook" }
        components.query = nil
        return components.string ?? "\(section).robot_webhook"
    }

    /// Whether the webhook names the loopback interface (an emulator on this machine).
    var isLoopback: Bool {
        let host = URLComponents(string: webhook)?.host?.lowercased() ?? ""
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// What is wrong with the settings, one sentence each with the fix; empty when they look usable.
    public var problems: [String] {
        var problems: [String] = []
        let scheme = URLComponents(string: webhook)?.scheme?.lowercased() ?? ""
        if scheme != "https" && scheme != "http" {
            problems.append(
                "\(section).robot_webhook is not a URL; copy the robot's webhook "
                    + "(https://oapi.dingtalk.com/robot/send?access_token=…) from the group's robot settings"
            )
        } else if scheme == "http" && !isLoopback {
            problems.append(
                "\(section).robot_webhook uses http://, which would send the access token in the clear; use the "
                    + "https:// webhook"
            )
        }
        if (scheme == "https" || scheme == "http") && accessToken == nil {
            problems.append(
                "\(section).robot_webhook has no access_token; copy the whole webhook "
                    + "(https://oapi.dingtalk.com/robot/send?access_token=…) from the group's robot settings"
            )
        }
        if let secret, !secret.hasPrefix("SEC") {
            problems.append(
                "\(section).robot_secret does not start with SEC; copy the signing secret (加签) from the robot's "
                    + "security settings, not the access token"
            )
        }
        return problems
    }
}
