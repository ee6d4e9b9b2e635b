import CCurl
import Foundation
import LeanStatsCore

/// What happened to one message: the SMTP server's replies, and the error when it was not accepted.
public struct MailDelivery: Sendable, Equatable {
    /// The server's reply lines, in order (`220 …`, `250-…`, `354 …`, `250 OK …`). Never a password.
    public var replies: [String]
    /// Why the message was not delivered, `nil` when the server accepted it.
    public var error: ServiceError?
}

/// Sends e-mail through libcurl's SMTP support: STARTTLS required unless the URL is `smtps://` or `alerts.tls` is
/// `off` for a loopback relay, optional login, the server's replies captured for `leanstats alert test`.
///
/// Each delivery runs `curl_easy_perform` on a thread of its own, never on Swift's cooperative pool. A transfer
/// whose connection was refused or broke before the server said anything is tried once more after a pause: no
/// message can have been accepted then, so the retry cannot deliver it twice.
public final class Mailer: Sendable {
    /// Where and how to send.
    public let settings: MailSettings
    /// The wait before the second try.
    private let retryPause: Duration

    /// Creates a mailer.
    /// - Parameters:
    ///   - settings: The `[alerts]` settings.
    ///   - retryPause: The wait before the second try after a refused or broken connection without any reply.
    /// - Throws: ``ServiceError`` with code `.configuration` when they are not usable.
    public init(settings: MailSettings, retryPause: Duration = .seconds(1)) throws(ServiceError) {
        try settings.validate()
        self.settings = settings
        self.retryPause = retryPause
    }

    /// Sends a message.
    /// - Parameter message: The message; its recipients are the envelope's.
    /// - Returns: The server's replies.
    /// - Throws: ``ServiceError`` with code `.mail` and the server's last reply when it was not accepted.
    @discardableResult
    public func send(_ message: MailMessage) async throws(ServiceError) -> [String] {
        let delivery = await deliver(message)
        if let error = delivery.error { throw error }
        return delivery.replies
    }

    /// Sends a message and reports what the server said, also when it failed.
    /// - Parameter message: The message.
    /// - Returns: The replies and the error, if any.
    public func deliver(_ message: MailMessage) async -> MailDelivery {
        let first = await transfer(message)
        guard first.brokeBeforeAnyReply else { return first.delivery }
        try? await Task.sleep(for: retryPause)
        return await transfer(message).delivery
    }

    /// One transfer on a thread of its own.
    private func transfer(_ message: MailMessage) async -> SMTPTransfer.Outcome {
        let settings = self.settings
        return await withCheckedContinuation { (continuation: CheckedContinuation<SMTPTransfer.Outcome, Never>) in
            let thread = Thread {
                continuation.resume(returning: SMTPTransfer(settings: settings).perform(message))
            }
            thread.name = "leanstats-smtp"
            thread.start()
        }
    }
}

/// One SMTP transfer over a fresh libcurl easy handle.
private final class SMTPTransfer {
    /// What a transfer gave, and whether its connection was refused or broke before the server said anything
    /// (as opposed to a refusal by the server, a timeout or a TLS failure).
    struct Outcome {
        var delivery: MailDelivery
        var brokeBeforeAnyReply = false
    }

    let settings: MailSettings
    var payload: [UInt8] = []
    var offset = 0
    var replies: [String] = []
    private var partial = ""

    init(settings: MailSettings) {
        self.settings = settings
    }

    /// `curl_global_init`, once per process.
    static let initializeLibrary: Void = {
        _ = curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    /// libcurl's result of the transfer.
    private var code = CURLE_OK

    /// Sends the message.
    func perform(_ message: MailMessage) -> Outcome {
        let delivery = send(message)
        let broken = [CURLE_COULDNT_CONNECT, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING].contains(code)
        return Outcome(delivery: delivery, brokeBeforeAnyReply: broken && replies.isEmpty)
    }

    private func send(_ message: MailMessage) -> MailDelivery {
        Self.initializeLibrary
        guard let handle = curl_easy_init() else {
            return MailDelivery(replies: [], error: ServiceError(.mail, "libcurl could not create a handle"))
        }
        defer { curl_easy_cleanup(handle) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        payload = message.rendered()
        let context = Unmanaged.passRetained(self)
        defer { context.release() }
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for address in message.to { recipients = curl_slist_append(recipients, "<\(MailMessage.address(address))>") }
        let milliseconds = max(1, Int(settings.timeoutSeconds * 1000))
        var codes: [(CURLcode, String)] = [
            (leanstats_curl_setopt_string(handle, CURLOPT_URL, settings.url), "CURLOPT_URL"),
            (leanstats_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL"),
            (leanstats_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds), "CURLOPT_TIMEOUT_MS"),
            (
                leanstats_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(milliseconds, 10_000)),
                "CURLOPT_CONNECTTIMEOUT_MS"
            ),
            (
                leanstats_curl_setopt_long(
                    handle,
                    CURLOPT_USE_SSL,
                    settings.tls == .off ? Int(CURLUSESSL_NONE.rawValue) : Int(CURLUSESSL_ALL.rawValue)
                ),
                "CURLOPT_USE_SSL"
            ),
            (leanstats_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), "CURLOPT_SSL_VERIFYPEER"),
            (leanstats_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), "CURLOPT_SSL_VERIFYHOST"),
            (
                leanstats_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(MailMessage.address(message.from))>"),
                "CURLOPT_MAIL_FROM"
            ),
            (leanstats_curl_setopt_list(handle, CURLOPT_MAIL_RCPT, recipients), "CURLOPT_MAIL_RCPT"),
            (leanstats_curl_setopt_long(handle, CURLOPT_UPLOAD, 1), "CURLOPT_UPLOAD"),
            (leanstats_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION, readPayload), "CURLOPT_READFUNCTION"),
            (leanstats_curl_setopt_pointer(handle, CURLOPT_READDATA, context.toOpaque()), "CURLOPT_READDATA"),
            (
                leanstats_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)),
                "CURLOPT_ERRORBUFFER"
            ),
            (leanstats_curl_setopt_long(handle, CURLOPT_VERBOSE, 1), "CURLOPT_VERBOSE"),
            (
                leanstats_curl_setopt_debug_callback(handle, CURLOPT_DEBUGFUNCTION, recordReplies),
                "CURLOPT_DEBUGFUNCTION"
            ),
            (leanstats_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, context.toOpaque()), "CURLOPT_DEBUGDATA"),
        ]
        if let username = settings.username, !username.isEmpty {
            codes.append((leanstats_curl_setopt_string(handle, CURLOPT_USERNAME, username), "CURLOPT_USERNAME"))
            codes.append(
                (leanstats_curl_setopt_string(handle, CURLOPT_PASSWORD, settings.password ?? ""), "CURLOPT_PASSWORD")
            )
        }
        for (code, option) in codes where code != CURLE_OK {
            let reason = String(cString: curl_easy_strerror(code))
            return MailDelivery(replies: [], error: ServiceError(.mail, "libcurl refused \(option): \(reason)"))
        }
        code = curl_easy_perform(handle)
        flushPartial()
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            var advice = "check alerts.smtp_url, alerts.username and the password"
            switch code {
            case CURLE_USE_SSL_FAILED:
                advice =
                    "the server does not offer STARTTLS; use an smtps:// URL, or alerts.tls = \"off\" for a "
                    + "relay on loopback"
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT:
                advice = "check the host and port in alerts.smtp_url and the firewall"
            case CURLE_LOGIN_DENIED:
                advice = "check alerts.username and the password (LEANSTATS_ALERTS_PASSWORD or alerts.password_file)"
            case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE:
                advice = "the server's TLS certificate is not trusted; check the host name and the CA certificates"
            default:
                break
            }
            let complaint = replies.last { $0.hasPrefix("4") || $0.hasPrefix("5") } ?? replies.last
            let said = complaint.map { "; the server said '\($0)'" } ?? ""
            if code == CURLE_SEND_ERROR || reason.hasPrefix("RCPT failed") || reason.hasPrefix("MAIL failed") {
                advice = "check alerts.from, alerts.to and report.to, and that the server relays for this machine"
            }
            return MailDelivery(
                replies: replies,
                error: ServiceError(.mail, "sending mail via \(settings.host) failed: \(reason)\(said); \(advice)")
            )
        }
        return MailDelivery(replies: replies, error: nil)
    }

    /// Adds server bytes to the transcript, one entry per complete line.
    func record(_ text: String) {
        partial += text
        while let end = partial.range(of: "\n") {
            let line = partial[..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            if !line.isEmpty { replies.append(line) }
            partial.removeSubrange(..<end.upperBound)
        }
    }

    private func flushPartial() {
        let line = partial.trimmingCharacters(in: .whitespacesAndNewlines)
        if !line.isEmpty { replies.append(line) }
        partial = ""
    }
}

/// CURLOPT_READFUNCTION: hands libcurl the next bytes of the message.
private let readPayload: leanstats_curl_data_callback = { buffer, size, count, context in
    guard let buffer, let context else { return 0 }
    let transfer = Unmanaged<SMTPTransfer>.fromOpaque(context).takeUnretainedValue()
    let room = size * count
    let chunk = min(room, transfer.payload.count - transfer.offset)
    guard chunk > 0 else { return 0 }
    transfer.payload.withUnsafeBytes { raw in
        UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + transfer.offset, byteCount: chunk)
    }
    transfer.offset += chunk
    return chunk
}

/// CURLOPT_DEBUGFUNCTION: keeps what the server said (CURLINFO_HEADER_IN); the client's side, which carries the
/// AUTH exchange, is never recorded.
private let recordReplies: leanstats_curl_debug_callback = { _, type, data, size, context in
    guard type == CURLINFO_HEADER_IN, let data, let context else { return 0 }
    let transfer = Unmanaged<SMTPTransfer>.fromOpaque(context).takeUnretainedValue()
    transfer.record(String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self))
    return 0
}
