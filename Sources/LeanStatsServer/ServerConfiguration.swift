import Foundation
import LeanStatsCore

/// How `leanstats serve` listens and whom it answers (`[server]`, `docs/configuration.md` §7).
public struct ServerConfiguration: Sendable {
    /// The IPv4 address to bind; `127.0.0.1` by default, so only this machine can connect.
    public var host: String
    /// The port, or 0 for a free one chosen by the system.
    public var port: UInt16
    /// The bearer token every request except `/metrics` and `/healthz` must present.
    public var token: String
    /// The `Host` header names (without port) that requests may carry; others are refused, against DNS rebinding.
    public var allowedHosts: Set<String>
    /// The deadlines and size and connection limits of the HTTP edge.
    public var limits: EdgeLimits
    /// Seconds a browser session (set by a `?token=` link) stays valid; then the token must be presented again.
    public var sessionLifetime: Double
    /// The current time (Unix seconds), for session expiry.
    public var now: @Sendable () -> Double
    /// The store directory whose newest snapshot is served.
    public var dataDirectory: String
    /// The zone that defines days and months.
    public var clock: ZoneClock
    /// `sync.monthly_call_budget`, for the quota-used ratio in `/metrics`.
    public var monthlyCallBudget: Int
    /// `sync.monthly_push_budget`, for the push-used ratio in `/metrics`.
    public var monthlyPushBudget: Int
    /// How often (seconds) a background thread checks the store for a newer snapshot generation or journal records
    /// (at least 0.05; the check is two `stat` calls and a directory listing when nothing changed).
    public var reloadInterval: Double
    /// The default ``reloadInterval``: half a second, so a journaled change is served within a second.
    public static let defaultReloadInterval = 0.5
    /// The DingTalk login of the dashboard (`server.login = "dingtalk"`), `nil` when it is off; the bearer token
    /// and `?token=` links work either way.
    public var login: LoginConfiguration?

    /// The host names always allowed: loopback in its usual spellings.
    public static let loopbackHosts: Set<String> = ["127.0.0.1", "localhost", "::1", "[::1]"]

    /// Creates a configuration.
    /// - Parameters:
    ///   - host: The address to bind.
    ///   - port: The port (0 for any free one).
    ///   - token: The bearer token; must not be empty.
    ///   - allowedHosts: Extra `Host` names to accept besides loopback and `host` itself.
    ///   - dataDirectory: The store directory.
    ///   - clock: The zone of days and months.
    ///   - monthlyCallBudget: The DingTalk monthly call budget.
    ///   - monthlyPushBudget: The DingTalk monthly push budget.
    ///   - limits: The HTTP edge's deadlines and limits.
    ///   - sessionLifetime: Seconds a browser session stays valid (default 12 hours).
    ///   - reloadInterval: Seconds between checks for a new snapshot.
    ///   - now: The current time in Unix seconds (tests move it to expire sessions).
    ///   - login: The DingTalk login, `nil` for none.
    public init(
        host: String = "127.0.0.1",
        port: UInt16 = 8080,
        token: String,
        allowedHosts: [String] = [],
        dataDirectory: String,
        clock: ZoneClock,
        monthlyCallBudget: Int = 5000,
        monthlyPushBudget: Int = 3000,
        limits: EdgeLimits = EdgeLimits(),
        sessionLifetime: Double = 12 * 3600,
        reloadInterval: Double = ServerConfiguration.defaultReloadInterval,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        login: LoginConfiguration? = nil
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.allowedHosts = Self.loopbackHosts.union([host]).union(allowedHosts.map { $0.lowercased() })
        self.dataDirectory = dataDirectory
        self.clock = clock
        self.monthlyCallBudget = monthlyCallBudget
        self.monthlyPushBudget = monthlyPushBudget
        self.limits = limits
        self.sessionLifetime = sessionLifetime
        self.reloadInterval = reloadInterval
        self.now = now
        self.login = login
    }
}
