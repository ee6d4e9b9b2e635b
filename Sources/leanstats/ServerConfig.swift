import Foundation
import LeanStatsServer

/// The `[server]` section of the configuration: where `serve` listens and its bearer token
/// (`docs/configuration.md` §7).
struct ServerConfig {
    /// `server.host`, default `127.0.0.1`.
    var host = "127.0.0.1"
    /// `server.port`, default 8080.
    var port: UInt16 = 8080
    /// `server.token` (or `server.token_file`, env `LEANSTATS_SERVER_TOKEN`); `nil` when not configured.
    var token: String?
    /// `server.allowed_hosts`: extra `Host` names accepted besides loopback and `server.host`.
    var allowedHosts: [String] = []
    /// `server.max_connections`, `server.max_connections_per_client`, `server.header_timeout_s`: the HTTP edge's
    /// limits.
    var limits = EdgeLimits()
    /// `server.session_hours`: how long a browser session lasts, in seconds (default 12 hours).
    var sessionLifetime: Double = 12 * 3600
    /// `sync.monthly_call_budget`, for the quota ratio in `/metrics`.
    var monthlyCallBudget = 5000
    /// `sync.monthly_push_budget`, for the push ratio in `/metrics`.
    var monthlyPushBudget = 3000
    /// `server.login = "dingtalk"`: people sign in to the dashboard with DingTalk (off by default).
    var dingTalkLogin = false
    /// `server.public_url`: the address browsers use, for the login's redirect; default `http://HOST:PORT`.
    var publicURL: String?
    /// `server.admins`: DingTalk user ids who see everything.
    var admins: [String] = []
    /// `dingtalk.login_url`: the login page's host.
    var loginURL = "https://login.dingtalk.com"

    /// Reads the section from a configuration.
    /// - Throws: ``CommandFailure`` for a malformed value or an unreadable token file.
    init(_ file: ConfigFile) throws {
        if let value = try file.string("server", "host") { host = value }
        if let value = try file.integer("server", "port") {
            guard let port = UInt16(exactly: value) else {
                throw CommandFailure(
                    "config error: \(file.source("server", "port")): server.port must be between 0 and 65535"
                )
            }
            self.port = port
        }
        token = try file.secret("server", "token")
        allowedHosts = try file.strings("server", "allowed_hosts") ?? []
        if let value = try file.integer("server", "max_connections") {
            limits.maximumConnections = try Self.positive(value, "max_connections", file, upTo: 100_000)
        }
        if let value = try file.integer("server", "max_connections_per_client") {
            limits.maximumConnectionsPerClient = try Self.positive(
                value,
                "max_connections_per_client",
                file,
                upTo: 100_000
            )
        }
        if let value = try file.number("server", "header_timeout_s") {
            guard value >= 0.1, value <= 300 else {
                throw CommandFailure(
                    "config error: \(file.source("server", "header_timeout_s")): server.header_timeout_s must be "
                        + "between 0.1 and 300 seconds"
                )
            }
            limits.headerTimeout = value
            limits.bodyTimeout = value
        }
        if let value = try file.number("server", "session_hours") {
            guard value > 0, value <= 24 * 90 else {
                throw CommandFailure(
                    "config error: \(file.source("server", "session_hours")): server.session_hours must be more "
                        + "than 0 and at most 2160 (90 days)"
                )
            }
            sessionLifetime = value * 3600
        }
        if let value = try file.integer("sync", "monthly_call_budget") { monthlyCallBudget = value }
        if let value = try file.integer("sync", "monthly_push_budget") { monthlyPushBudget = value }
        if let value = try file.string("server", "login") {
            switch value.lowercased() {
            case "dingtalk": dingTalkLogin = true
            case "", "off", "none": dingTalkLogin = false
            default:
                throw CommandFailure(
                    "config error: \(file.source("server", "login")): server.login must be \"dingtalk\" or \"off\", "
                        + "not '\(value)'"
                )
            }
        }
        publicURL = try file.string("server", "public_url")
        admins = try file.strings("server", "admins") ?? []
        if let value = try file.string("dingtalk", "login_url") { loginURL = value }
    }

    /// The dashboard's DingTalk login, `nil` when `server.login` is off.
    /// - Parameters:
    ///   - file: The configuration, for the `[dingtalk]` app.
    ///   - address: The address `serve` listens on, the default `server.public_url`.
    /// - Throws: ``CommandFailure`` when the app credentials or a URL are missing or malformed.
    func login(_ file: ConfigFile, address: String) throws -> LoginConfiguration? {
        guard dingTalkLogin else { return nil }
        let login = LoginConfiguration(
            settings: try ConfigOptions.dingTalkSettings(from: file),
            loginURL: loginURL,
            publicURL: publicURL ?? address,
            admins: admins
        )
        do {
            try login.validate()
        } catch {
            throw CommandFailure("config error: \(error.message)")
        }
        return login
    }

    /// A count that must be at least 1 and at most `limit`.
    private static func positive(_ value: Int, _ key: String, _ file: ConfigFile, upTo limit: Int) throws -> Int {
        guard value >= 1, value <= limit else {
            throw CommandFailure(
                "config error: \(file.source("server", key)): server.\(key) must be between 1 and \(limit)"
            )
        }
        return value
    }
}
