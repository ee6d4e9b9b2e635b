import Foundation
import LeanStatsService

/// The sections of the configuration that unattended operation reads (SPEC §5): `[schedule]`, `[alerts]`,
/// `[alerts.thresholds]` and `[report]`.
///
/// ```toml
/// [schedule]
/// daily = "02:00"              # incremental sync
/// weekly_full = "sun 03:00"    # full sync
/// monthly_report = "1 08:00"   # last month's workbook, mailed to report.to
/// # For trials and small sites any of them may be an interval instead, at least 10 seconds, firing at multiples
/// # of it since the Unix epoch: "every 90s", "every 3m", "every 2h".
/// [alerts]
/// smtp_url = "smtp://mail.example.com:587"   # STARTTLS required; smtps://…:465 for implicit TLS
/// tls = "starttls"             # or "implicit", or "off" (only for a relay on 127.0.0.1)
/// username = "leanstats@example.com"
/// password_file = "/etc/leanstats/smtp-password"   # mode 0600/0400; or LEANSTATS_ALERTS_PASSWORD
/// from = "LeanStats <leanstats@example.com>"
/// to = ["lean-office@example.com"]
/// stale_after_h = 48
/// [alerts.thresholds]
/// sync_duration_s = 1800
/// api_error_rate_pct = 5
/// query_latency_ms = 2000
/// snapshot_size_mb = 2048
/// [report]
/// to = ["plant-manager@example.com"]         # default alerts.to
/// ```
struct ServiceConfig {
    /// When the jobs fire; ``ScheduleSettings/syncEnabled`` is off without DingTalk credentials.
    var schedule = ScheduleSettings()
    /// Staleness and performance limits.
    var thresholds = AlertThresholds()
    /// The SMTP settings, `nil` when `alerts.smtp_url` is not set (then nothing is mailed).
    var mail: MailSettings?
    /// `report.to`, default `alerts.to`.
    var reportTo: [String] = []

    /// The secret files the configuration names, for `doctor`.
    static let secretFileKeys = [
        ("dingtalk", "app_secret_file"), ("alerts", "password_file"), ("server", "token_file"),
    ]

    /// Reads the sections.
    /// - Parameters:
    ///   - file: The configuration.
    ///   - readingMail: Whether to read the SMTP settings (`doctor` reads them separately to tell a schedule
    ///     problem from a mail problem).
    /// - Throws: ``CommandFailure`` for a malformed value, an unusable mail set-up or an unreadable password file.
    init(_ file: ConfigFile, readingMail: Bool = true) throws {
        func schedule(_ key: String) throws -> Schedule? {
            guard let text = try file.string("schedule", key) else { return nil }
            do {
                return try Schedule(parsing: text, key: "schedule.\(key)")
            } catch {
                throw CommandFailure("config error: \(file.source("schedule", key)): \(error.message)")
            }
        }
        if let value = try schedule("daily") { self.schedule.daily = value }
        if let value = try schedule("weekly_full") { self.schedule.weeklyFull = value }
        if let value = try schedule("monthly_report") { self.schedule.monthlyReport = value }
        self.schedule.syncEnabled = Self.hasDingTalkCredentials(file)
        if let hours = try file.number("alerts", "stale_after_h") {
            guard hours > 0 else {
                throw CommandFailure(
                    "config error: \(file.source("alerts", "stale_after_h")): alerts.stale_after_h must be positive"
                )
            }
            thresholds.staleAfterSeconds = Int64(hours * 3600)
        }
        for metric in AlertMetric.allCases {
            if let limit = try file.number("alerts.thresholds", metric.rawValue) {
                thresholds.limits[metric] = limit
            }
        }
        let to = try file.strings("alerts", "to") ?? []
        reportTo = try file.strings("report", "to") ?? to
        guard readingMail, let url = try file.string("alerts", "smtp_url"), !url.isEmpty else { return }
        var tls = MailSettings.TLS.starttls
        if let text = try file.string("alerts", "tls") {
            guard let parsed = MailSettings.TLS(rawValue: text.lowercased()) else {
                throw CommandFailure(
                    "config error: \(file.source("alerts", "tls")): alerts.tls must be starttls, implicit or off, not '\(text)'"
                )
            }
            tls = parsed
        }
        var settings = MailSettings(
            url: url,
            tls: tls,
            username: try file.string("alerts", "username"),
            password: try file.secret("alerts", "password"),
            from: try file.string("alerts", "from") ?? "",
            to: to
        )
        if let seconds = try file.number("alerts", "timeout_s") { settings.timeoutSeconds = seconds }
        do {
            try settings.validate()
        } catch {
            throw CommandFailure("config error: \(error.message)")
        }
        mail = settings
    }

    /// Whether the DingTalk app key and a secret (value, file or environment) are configured; without them
    /// `serve` runs with scheduled sync off.
    static func hasDingTalkCredentials(_ file: ConfigFile) -> Bool {
        let key = (try? file.string("dingtalk", "app_key")) ?? nil
        let secret =
            ((try? file.string("dingtalk", "app_secret")) ?? nil)
            ?? ((try? file.string("dingtalk", "app_secret_file")) ?? nil)
        return !(key ?? "").isEmpty && !(secret ?? "").isEmpty
    }

    /// The secret files named by the configuration: setting name and path.
    static func secretFiles(_ file: ConfigFile) -> [(key: String, path: String)] {
        secretFileKeys.compactMap { section, key in
            guard let path = (try? file.string(section, key)) ?? nil, !path.isEmpty else { return nil }
            return ("\(section).\(key)", path)
        }
    }
}
