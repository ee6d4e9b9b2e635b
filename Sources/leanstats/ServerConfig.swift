import Foundation

/// The `[server]` section of the configuration (SPEC §5): where `serve` listens and its bearer token.
struct ServerConfig {
    /// `server.host`, default `127.0.0.1`.
    var host = "127.0.0.1"
    /// `server.port`, default 8080.
    var port: UInt16 = 8080
    /// `server.token` (or `server.token_file`, env `LEANSTATS_SERVER_TOKEN`); `nil` when not configured.
    var token: String?
    /// `server.allowed_hosts`: extra `Host` names accepted besides loopback and `server.host`.
    var allowedHosts: [String] = []
    /// `sync.monthly_call_budget`, for the quota ratio in `/metrics`.
    var monthlyCallBudget = 5000

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
        if let value = try file.integer("sync", "monthly_call_budget") { monthlyCallBudget = value }
    }
}
