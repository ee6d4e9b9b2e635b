import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to reach the SMTP server (`[alerts]`): URL, TLS mode, login, sender and recipients.
public struct MailSettings: Sendable, Equatable {
    /// How the connection is protected (`alerts.tls`).
    public enum TLS: String, Sendable, Equatable {
        /// Plain connection upgraded with STARTTLS, which must succeed (the default).
        case starttls
        /// TLS from the first byte (`smtps://`, port 465).
        case implicit
        /// No TLS at all: only for a relay on the loopback interface.
        case off
    }

    /// `alerts.smtp_url`, e.g. `smtp://mail.example.com:587` or `smtps://mail.example.com:465`.
    public var url: String
    /// `alerts.tls`; an `smtps://` URL means ``TLS/implicit``.
    public var tls: TLS
    /// `alerts.username`, `nil` for a server without login.
    public var username: String?
    /// The password (from `LEANSTATS_ALERTS_PASSWORD` or `alerts.password_file`); never logged.
    public var password: String?
    /// `alerts.from`.
    public var from: String
    /// `alerts.to`.
    public var to: [String]
    /// The time limit of one delivery, seconds.
    public var timeoutSeconds: Double = 30

    /// Creates settings.
    public init(
        url: String,
        tls: TLS = .starttls,
        username: String? = nil,
        password: String? = nil,
        from: String,
        to: [String]
    ) {
        self.url = url
        self.tls = url.lowercased().hasPrefix("smtps://") ? .implicit : tls
        self.username = username
        self.password = password
        self.from = from
        self.to = to
    }

    /// The URL's host name, lower-cased, without brackets.
    var host: String {
        guard let components = URLComponents(string: url), let host = components.host else { return "" }
        return host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
    }

    /// Whether the URL names the loopback interface.
    var isLoopback: Bool {
        ["localhost", "127.0.0.1", "::1"].contains(host) || host.hasPrefix("127.")
    }

    /// Checks the settings.
    /// - Throws: ``ServiceError`` with code `.configuration` saying what to change.
    public func validate() throws(ServiceError) {
        let scheme = url.split(separator: ":").first.map { $0.lowercased() } ?? ""
        guard scheme == "smtp" || scheme == "smtps", !host.isEmpty else {
            throw ServiceError(
                .configuration,
                "alerts.smtp_url '\(url)' is not an SMTP URL; use smtp://host:587 (STARTTLS) or smtps://host:465"
            )
        }
        if tls == .implicit && scheme != "smtps" {
            throw ServiceError(.configuration, "alerts.tls = \"implicit\" needs an smtps:// URL in alerts.smtp_url")
        }
        if tls == .off && !isLoopback {
            throw ServiceError(
                .configuration,
                "alerts.tls = \"off\" is allowed only for a relay on loopback (127.0.0.1), not \(host); use "
                    + "\"starttls\" or an smtps:// URL"
            )
        }
        guard !MailMessage.address(from).isEmpty else {
            throw ServiceError(.configuration, "alerts.from is missing; set the sender address")
        }
        guard !to.isEmpty else {
            throw ServiceError(.configuration, "alerts.to is missing; list at least one recipient")
        }
        if username != nil && (password ?? "").isEmpty {
            throw ServiceError(
                .configuration,
                "alerts.username is set but no password; set LEANSTATS_ALERTS_PASSWORD or alerts.password_file"
            )
        }
    }
}

/// Reads secrets from files that only their owner may read (like `.pgpass`).
public enum SecretFile {
    /// Why a secret file is unacceptable, `nil` when it is a regular file with no group or other permissions.
    /// - Parameters:
    ///   - path: The file.
    ///   - key: The setting that names it, for the message.
    public static func problem(_ path: String, key: String) -> ServiceError? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return ServiceError(.secret, "\(key) names \(path), which does not exist")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return ServiceError(.secret, "\(key) names \(path), which is not a regular file")
        }
        if info.st_mode & 0o077 != 0 {
            let mode = "0" + String(info.st_mode & 0o777, radix: 8)
            return ServiceError(
                .secret,
                "\(key) names \(path), which is readable by group or others (mode \(mode)); run chmod 600 \(path)"
            )
        }
        return nil
    }

    /// Reads a secret file after checking its permissions.
    /// - Parameters:
    ///   - path: The file.
    ///   - key: The setting that names it.
    /// - Returns: The content without surrounding white space.
    /// - Throws: ``ServiceError`` with code `.secret` when the file is missing, empty or too open.
    public static func read(_ path: String, key: String) throws(ServiceError) -> String {
        if let problem = problem(path, key: key) { throw problem }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServiceError(.secret, "cannot read \(path) (\(key)); check its owner")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ServiceError(.secret, "\(path) (\(key)) is empty") }
        return text
    }

    /// The SMTP password: `LEANSTATS_ALERTS_PASSWORD`, else the file named by `alerts.password_file`.
    /// - Parameters:
    ///   - environment: The process environment.
    ///   - file: `alerts.password_file`.
    /// - Throws: ``ServiceError`` with code `.secret` for an unacceptable file.
    public static func mailPassword(environment: [String: String], file: String?) throws(ServiceError) -> String? {
        if let value = environment["LEANSTATS_ALERTS_PASSWORD"], !value.isEmpty { return value }
        guard let file, !file.isEmpty else { return nil }
        return try read(file, key: "alerts.password_file")
    }
}
