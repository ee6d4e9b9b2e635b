import Foundation
import LeanStatsService

/// The sections of the configuration that unattended operation reads (`docs/configuration.md` §4–§6):
/// `[schedule]`, `[alerts]`, `[alerts.thresholds]` and `[report]`.
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
/// robot_webhook = "https://oapi.dingtalk.com/robot/send?access_token=…"   # a DingTalk group robot
/// robot_secret_file = "/etc/leanstats/robot-secret"   # its SEC… secret; or LEANSTATS_ALERTS_ROBOT_SECRET
/// [report]
/// to = ["plant-manager@example.com"]         # default alerts.to
/// robot_webhook = "…"                        # the summary's robot, default alerts.robot_webhook
/// agent_id = 123456789                       # work notification from the app to to_userids
/// to_userids = ["manager01"]
/// [server]
/// public_url = "https://leanstats.example.com"   # links in DingTalk messages
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
    /// The alerts' group robot, `nil` when `alerts.robot_webhook` is not set.
    var robot: RobotSettings?
    /// The monthly summary's robot: `report.robot_webhook`, default the alerts' robot.
    var reportRobot: RobotSettings?
    /// The monthly summary as a work notification (`report.agent_id`, `report.to_userids`).
    var workNotification: WorkNotificationSettings?
    /// `server.public_url`, for links in DingTalk messages.
    var publicURL: String?

    /// The secret files the configuration names, for `doctor`.
    static let secretFileKeys = [
        ("dingtalk", "app_secret_file"), ("alerts", "password_file"), ("server", "token_file"),
        ("alerts", "robot_secret_file"), ("report", "robot_secret_file"),
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
        try readDingTalkDelivery(file)
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

    /// Reads the robots, the work notification and `server.public_url`.
    /// - Throws: ``CommandFailure`` for a value of the wrong type or an unreadable secret file.
    private mutating func readDingTalkDelivery(_ file: ConfigFile) throws {
        if let url = try file.string("server", "public_url"), !url.isEmpty { publicURL = url }
        if let webhook = try file.string("alerts", "robot_webhook"), !webhook.isEmpty {
            robot = RobotSettings(
                webhook: webhook,
                secret: try file.secret("alerts", "robot_secret"),
                section: "alerts"
            )
        }
        if let webhook = try file.string("report", "robot_webhook"), !webhook.isEmpty {
            var secret = try file.secret("report", "robot_secret")
            if secret == nil, webhook == robot?.webhook { secret = robot?.secret }
            reportRobot = RobotSettings(webhook: webhook, secret: secret, section: "report")
        } else {
            reportRobot = robot
        }
        let userIds = try file.strings("report", "to_userids") ?? []
        if let agentId = try file.integer("report", "agent_id") {
            guard agentId > 0 else {
                throw CommandFailure(
                    "config error: \(file.source("report", "agent_id")): report.agent_id must be the app's positive "
                        + "AgentId from the DingTalk developer console"
                )
            }
            guard !userIds.isEmpty else {
                throw CommandFailure(
                    "config error: \(file.source("report", "agent_id")): report.agent_id is set but report.to_userids "
                        + "is empty; list the DingTalk user ids to notify"
                )
            }
            workNotification = WorkNotificationSettings(agentId: Int64(agentId), userIds: userIds)
        }
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
