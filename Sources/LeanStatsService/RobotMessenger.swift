import Foundation
import LeanStatsSync

/// How one post to a robot ended.
public enum RobotOutcome: Sendable, Equatable {
    /// DingTalk accepted the message (`errcode` 0).
    case sent
    /// The robot is throttled for 10 minutes (`errcode` 130101): keep the message and post it again later.
    case throttled(ServiceError)
    /// The message was refused or could not be posted; the error says why and what to fix.
    case failed(ServiceError)

    /// The error, `nil` when the message was sent.
    public var error: ServiceError? {
        switch self {
        case .sent: nil
        case .throttled(let error), .failed(let error): error
        }
    }
}

/// Posts messages to one DingTalk custom group robot, signed when it has a secret (`docs/dingtalk-delivery.md`).
///
/// One message per call, no queueing: ``RobotOutbox`` adds the rate limit and the retry after throttling. A
/// connection that could not be made or broke before the answer is tried once more after a short pause.
public final class RobotMessenger: Sendable {
    /// The robot.
    public let settings: RobotSettings
    private let transport: any HTTPTransport
    private let retryPause: Duration

    /// Creates a messenger.
    /// - Parameters:
    ///   - settings: The robot.
    ///   - transport: The HTTP transport; libcurl by default.
    ///   - retryPause: The wait before the second try after a broken or refused connection.
    public init(settings: RobotSettings, transport: (any HTTPTransport)? = nil, retryPause: Duration = .seconds(1)) {
        self.settings = settings
        self.transport = transport ?? CurlTransport(timeoutSeconds: settings.timeoutSeconds)
        self.retryPause = retryPause
    }

    /// Posts one message.
    /// - Parameters:
    ///   - message: The message.
    ///   - now: Unix milliseconds, the signature's timestamp.
    /// - Returns: How it ended.
    public func post(_ message: RobotMessage, now: Int64) async -> RobotOutcome {
        let url = RobotSigner.signedURL(webhook: settings.webhook, secret: settings.secret, timestamp: now)
        let request = HTTPRequest(
            method: .post,
            url: url,
            headers: [HTTPHeader("Content-Type", "application/json;charset=utf-8")],
            body: message.robotJSON
        )
        let robot = "the robot \(settings.redactedWebhook) (\(settings.section).robot_webhook)"
        let response: HTTPResponse
        do {
            response = try await sendTryingTwice(request)
        } catch {
            return .failed(
                ServiceError(
                    .robot,
                    "cannot reach \(robot): \(redact(error.message)); check \(settings.section).robot_webhook and "
                        + "that this server may connect to oapi.dingtalk.com"
                )
            )
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard let object, let errcode = (object["errcode"] as? NSNumber)?.intValue else {
            return .failed(
                ServiceError(
                    .robot,
                    "\(robot) answered HTTP \(response.status) without an errcode; check that "
                        + "\(settings.section).robot_webhook is the robot's webhook"
                )
            )
        }
        let errmsg = redact(object["errmsg"] as? String ?? "")
        switch errcode {
        case 0:
            return .sent
        case 130_101:
            return .throttled(
                ServiceError(
                    .robot,
                    "\(robot) is throttled by DingTalk for 10 minutes (errcode 130101: \(errmsg)): more than 20 "
                        + "messages a minute; DingTalk accepts messages from it again after the throttle"
                )
            )
        case 310_000:
            return .failed(
                ServiceError(
                    .robot,
                    "\(robot) refused the message: its keyword, signature or IP check failed (errcode 310000: "
                        + "\(errmsg)); add a keyword the messages contain (LeanStats) to the robot's security "
                        + "settings, check \(settings.section).robot_secret (the robot's SEC… signing secret), or "
                        + "allow this server's public IP in the robot's IP list"
                )
            )
        default:
            return .failed(
                ServiceError(
                    .robot,
                    "\(robot) refused the message (errcode \(errcode): \(errmsg)); check "
                        + "\(settings.section).robot_webhook and \(settings.section).robot_secret"
                )
            )
        }
    }

    /// Sends the request; a connection that could not be made or broke before the answer (a reset on the way, a
    /// restarting proxy) is tried once more after ``retryPause``. A timeout is not: it already took the whole limit.
    private func sendTryingTwice(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        do {
            return try await transport.send(request)
        } catch let failure where failure.kind == .connect || failure.kind == .interrupted {
            try? await Task.sleep(for: retryPause)
            return try await transport.send(request)
        }
    }

    /// Removes the access token and the secret from text that came from the server or the network stack.
    private func redact(_ text: String) -> String {
        var text = text
        for secret in [settings.accessToken, settings.secret].compactMap({ $0 }) where secret.count >= 4 {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return text
    }
}
