import Foundation
import LeanStatsSync

/// How the dashboard signs people in with DingTalk (`[server] login = "dingtalk"`); see `docs/dashboard-login.md`.
public struct LoginConfiguration: Sendable {
    /// The app's credentials and the API hosts (`[dingtalk]`, shared with the sync).
    public var settings: SyncSettings
    /// `dingtalk.login_url`: the host of the login page, `https://login.dingtalk.com`.
    public var loginURL: String
    /// `server.public_url`: how browsers reach this server, e.g. `https://lean.example.com`; the callback is
    /// `public_url + /auth/dingtalk`.
    public var publicURL: String
    /// `server.admins`: DingTalk user ids who see everything.
    public var admins: Set<String>
    /// Seconds the department tree from the contacts API is kept before it is read again.
    public var directoryLifetime: Double
    /// Seconds a login may take between `/login` and the callback.
    public var stateLifetime: Double

    /// Creates a login configuration.
    /// - Parameters:
    ///   - settings: The DingTalk app and hosts.
    ///   - loginURL: The login page's host.
    ///   - publicURL: This server's address as browsers see it.
    ///   - admins: User ids with full access.
    ///   - directoryLifetime: Seconds the department tree is cached (default one hour).
    ///   - stateLifetime: Seconds a login may take (default ten minutes).
    public init(
        settings: SyncSettings,
        loginURL: String = "https://login.dingtalk.com",
        publicURL: String,
        admins: [String] = [],
        directoryLifetime: Double = 3600,
        stateLifetime: Double = 600
    ) {
        self.settings = settings
        self.loginURL = Self.trimmed(loginURL)
        self.publicURL = Self.trimmed(publicURL)
        self.admins = Set(admins)
        self.directoryLifetime = directoryLifetime
        self.stateLifetime = stateLifetime
    }

    /// The callback address DingTalk sends the browser back to.
    public var redirectURI: String { publicURL + "/auth/dingtalk" }

    /// Whether cookies must be `Secure` (the public address is HTTPS).
    var secureCookies: Bool { publicURL.hasPrefix("https://") }

    /// Checks that the login can work.
    /// - Throws: ``ServerError`` with code `.configuration` naming the key to fix.
    public func validate() throws(ServerError) {
        func require(_ condition: Bool, _ message: String) throws(ServerError) {
            if !condition { throw ServerError(.configuration, message) }
        }
        try require(
            !settings.appKey.isEmpty && !settings.appSecret.isEmpty,
            "server.login = \"dingtalk\" needs the app's credentials: set dingtalk.app_key and dingtalk.app_secret "
                + "(or app_secret_file)"
        )
        try require(
            publicURL.hasPrefix("http://") || publicURL.hasPrefix("https://"),
            "server.public_url '\(publicURL)' is not an http(s) URL; set it to the address browsers use, e.g. "
                + "https://lean.example.com, and register \(redirectURI) as the app's login redirect in DingTalk"
        )
        for (key, url) in [
            ("dingtalk.login_url", loginURL), ("dingtalk.api_url", settings.apiURL),
            ("dingtalk.oapi_url", settings.oapiURL),
        ] {
            try require(
                url.hasPrefix("https://") || url.hasPrefix("http://"),
                "\(key) '\(url)' is not an http(s) URL; leave it out for DingTalk's own host"
            )
        }
    }

    private static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
