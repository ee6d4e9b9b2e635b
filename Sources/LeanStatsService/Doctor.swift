import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsSync

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of one `leanstats doctor` check.
public struct DoctorCheck: Sendable, Equatable {
    /// How a check came out.
    public enum Status: String, Sendable, Comparable {
        case ok, warn, fail

        public static func < (lhs: Status, rhs: Status) -> Bool {
            [Status.ok, .warn, .fail].firstIndex(of: lhs)! < [Status.ok, .warn, .fail].firstIndex(of: rhs)!
        }
    }

    /// What was checked: `config`, `secrets`, `data`, `snapshots`, `timezone`, `dingtalk`, `quota`, `plan`,
    /// `fonts`, `mail`.
    public var name: String
    /// How it came out.
    public var status: Status
    /// What was found and, unless ok, what to do about it.
    public var message: String

    /// Creates a result.
    public init(_ name: String, _ status: Status, _ message: String) {
        self.name = name
        self.status = status
        self.message = message
    }

    /// The check as one line: `fail  secrets    alerts.password_file names … run chmod 600 …`.
    public var line: String {
        func padded(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        return "\(padded(status.rawValue, 5)) \(padded(name, 10)) \(message)"
    }
}

/// Checks an installation the way an operator would: configuration, secrets, data directory and snapshots, time
/// zone, DingTalk reachability and credentials, the month's API quota, fonts for the reports, and mail settings.
///
/// The configuration is read by the caller (the CLI owns the TOML loader) and handed in as values; a problem
/// reading it is passed as ``configProblem``.
public struct Doctor: Sendable {
    /// Where the configuration came from (`leanstats.toml`, or "defaults and environment").
    public var configSource = "defaults and environment"
    /// Why the configuration could not be read, `nil` when it could.
    public var configProblem: String?
    /// Secret files named by the configuration: setting name and path.
    public var secretFiles: [(key: String, path: String)] = []
    /// The data directory.
    public var dataDirectory: String
    /// The configured time zone.
    public var zoneIdentifier = "Asia/Shanghai"
    /// The DingTalk settings; `nil` or without app key/secret means scheduled sync is off.
    public var sync: SyncSettings?
    /// The `[schedule]` section, for the projected monthly calls.
    public var schedule = ScheduleSettings()
    /// The mail settings; `nil` when `[alerts]` is not configured.
    public var mail: MailSettings?
    /// A problem with the mail settings found while reading them (e.g. an unreadable password file).
    public var mailProblem: String?
    /// The DingTalk group robots (`[alerts]` and `[report]` `robot_webhook`); no `robot` check when empty.
    public var robots: [RobotSettings] = []
    /// The time limit of the DingTalk check, seconds.
    public var timeoutSeconds = 10.0
    /// Lists the installed fonts that cover Chinese (`fc-list :lang=zh family`); `nil` when fontconfig is missing.
    public var chineseFonts: @Sendable () -> [String]? = Doctor.fontconfigChineseFonts
    /// The current time, Unix seconds.
    public var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    /// Creates a doctor for a data directory.
    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    /// Runs every check.
    /// - Returns: One result per check, in a fixed order.
    public func run() async -> [DoctorCheck] {
        var checks = [configCheck(), secretsCheck(), dataCheck()]
        let (snapshots, metadata) = snapshotCheck()
        checks.append(snapshots)
        let zone = try? ZoneClock(identifier: zoneIdentifier)
        checks.append(
            zone == nil
                ? DoctorCheck(
                    "timezone",
                    .fail,
                    "unknown time zone '\(zoneIdentifier)'; use an IANA name such as Asia/Shanghai (see /usr/share/zoneinfo)"
                )
                : DoctorCheck("timezone", .ok, "\(zoneIdentifier), now \(zone!.format(now()))")
        )
        checks.append(await dingTalkCheck())
        checks.append(quotaCheck(metadata: metadata, zone: zone))
        checks.append(planCheck(zone: zone))
        checks.append(fontCheck())
        checks.append(mailCheck())
        if !robots.isEmpty { checks.append(robotCheck()) }
        return checks
    }

    /// Whether any result must be fixed.
    public static func mustFix(_ checks: [DoctorCheck]) -> Bool { checks.contains { $0.status == .fail } }

    // MARK: - Checks

    func configCheck() -> DoctorCheck {
        if let configProblem { return DoctorCheck("config", .fail, configProblem) }
        return DoctorCheck("config", .ok, "read \(configSource)")
    }

    func secretsCheck() -> DoctorCheck {
        guard !secretFiles.isEmpty else { return DoctorCheck("secrets", .ok, "no secret files configured") }
        let problems = secretFiles.compactMap { SecretFile.problem($0.path, key: $0.key)?.message }
        if !problems.isEmpty { return DoctorCheck("secrets", .fail, problems.joined(separator: "; ")) }
        return DoctorCheck(
            "secrets",
            .ok,
            "\(secretFiles.map(\.path).joined(separator: ", ")) readable only by the owner"
        )
    }

    func dataCheck() -> DoctorCheck {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDirectory, isDirectory: &isDirectory) else {
            let parent = (dataDirectory as NSString).deletingLastPathComponent
            if access(parent.isEmpty ? "." : parent, W_OK) == 0 {
                return DoctorCheck(
                    "data",
                    .warn,
                    "\(dataDirectory) does not exist yet; the first sync or import creates it"
                )
            }
            return DoctorCheck(
                "data",
                .fail,
                "\(dataDirectory) does not exist and \(parent) is not writable; create it or set --data"
            )
        }
        guard isDirectory.boolValue else {
            return DoctorCheck(
                "data",
                .fail,
                "\(dataDirectory) is not a directory; point --data (LEANSTATS_DATA) at a directory"
            )
        }
        let probe = "\(dataDirectory)/.doctor-\(getpid()).tmp"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            return DoctorCheck(
                "data",
                .fail,
                "cannot write to \(dataDirectory) (\(reason)); give the service user ownership (chown) or choose another --data"
            )
        }
        close(descriptor)
        unlink(probe)
        var space = statvfs()
        if statvfs(dataDirectory, &space) == 0 {
            let free = Int64(space.f_bavail) * Int64(space.f_frsize)
            if free < 100_000_000 {
                return DoctorCheck(
                    "data",
                    .warn,
                    "\(dataDirectory) is writable but only \(free / 1_000_000) MB are free; free disk space"
                )
            }
            return DoctorCheck("data", .ok, "\(dataDirectory) is writable, \(free / 1_000_000_000) GB free")
        }
        return DoctorCheck("data", .ok, "\(dataDirectory) is writable")
    }

    func snapshotCheck() -> (DoctorCheck, [String: String]?) {
        let store = SnapshotStore(directory: dataDirectory)
        let generations = store.generations()
        guard !generations.isEmpty else {
            return (
                DoctorCheck(
                    "snapshots",
                    .warn,
                    "no snapshot in \(dataDirectory) yet; run `leanstats sync` or `leanstats import`"
                ), nil
            )
        }
        var metadata: [String: String]?
        var good: [String] = []
        var bad: [String] = []
        var beyondReach = 0
        for generation in generations {
            let path = store.path(ofGeneration: generation)
            do {
                let loaded = try store.read(path: path)
                if metadata == nil {
                    metadata = loaded.metadata
                    let cutoff = now() - 365 * 86_400
                    beyondReach = loaded.table.createTime.firstIndex { $0 >= cutoff } ?? loaded.table.rowCount
                }
                good.append("#\(generation) (\(loaded.table.rowCount) rows)")
            } catch {
                bad.append("\(error)")
            }
        }
        // DingTalk lists only the last 365 days: say so when the store holds instances a sync can no longer reach.
        let history =
            beyondReach == 0
            ? ""
            : "; \(beyondReach) instances were created more than 365 days ago: DingTalk no longer lists them, so they "
                + "are kept from earlier syncs and imports and can no longer be refreshed"
        if bad.isEmpty {
            return (
                DoctorCheck(
                    "snapshots",
                    .ok,
                    "\(good.count) generation\(good.count == 1 ? "" : "s") verify: \(good.joined(separator: ", "))"
                        + history
                ), metadata
            )
        }
        if let newest = generations.first, good.first?.hasPrefix("#\(newest) ") == true {
            return (
                DoctorCheck(
                    "snapshots",
                    .warn,
                    "the newest generation verifies, an older one is damaged (\(bad.joined(separator: "; "))); the next sync replaces it"
                ), metadata
            )
        }
        let fallback =
            good.isEmpty ? "no generation verifies: restore a backup or re-import" : "readers fall back to \(good[0])"
        return (DoctorCheck("snapshots", .fail, "\(bad.joined(separator: "; ")); \(fallback)"), metadata)
    }

    func dingTalkCheck() async -> DoctorCheck {
        guard let sync, !sync.appKey.isEmpty, !sync.appSecret.isEmpty else {
            return DoctorCheck(
                "dingtalk",
                .warn,
                "no DingTalk credentials: scheduled sync is off; set dingtalk.app_key and dingtalk.app_secret (or app_secret_file)"
            )
        }
        var settings = sync
        settings.timeoutSeconds = timeoutSeconds
        settings.retries = 0
        let host = settings.api == .v1 ? settings.apiURL : settings.oapiURL
        if sync.processCodes.isEmpty {
            return DoctorCheck(
                "dingtalk",
                .fail,
                "dingtalk.process_code is missing; name the approval template(s) to sync"
            )
        }
        let transport = CurlTransport(timeoutSeconds: timeoutSeconds)
        defer { transport.close() }
        do {
            try await DingTalkClient(settings: settings, transport: transport).authenticate()
            // The v1.0 API still reads names and departments from the oapi host's contacts APIs.
            if settings.api == .v1, settings.contacts, settings.oapiURL != settings.apiURL {
                do {
                    _ = try await transport.send(HTTPRequest(method: .get, url: settings.oapiURL))
                } catch {
                    return DoctorCheck(
                        "dingtalk",
                        .fail,
                        "the credentials work, but \(settings.oapiURL) (contacts) cannot be reached: \(error); "
                            + "check DNS, the proxy and the firewall, or set sync.contacts = false"
                    )
                }
            }
            return DoctorCheck(
                "dingtalk",
                .ok,
                "\(host) reachable, the app credentials are accepted (\(settings.api.rawValue) API)"
            )
        } catch {
            let extra = error.code == .network ? "; check DNS, the proxy and the firewall" : ""
            return DoctorCheck("dingtalk", .fail, "\(host): \(error.message)\(extra)")
        }
    }

    func quotaCheck(metadata: [String: String]?, zone: ZoneClock?) -> DoctorCheck {
        let budget = sync?.monthlyCallBudget ?? SyncSettings().monthlyCallBudget
        let month = (zone ?? (try? ZoneClock(identifier: "Asia/Shanghai")))?.date(at: now()).monthText ?? "?"
        let pushBudget = sync?.monthlyPushBudget ?? SyncSettings().monthlyPushBudget
        return Doctor.quota(metadata: metadata ?? [:], month: month, budget: budget, pushBudget: pushBudget)
    }

    /// The quota check from the snapshot's `sync.quota` counts, with the month's Stream pushes (`stream.pushes`)
    /// when any arrived.
    static func quota(metadata: [String: String], month: String, budget: Int, pushBudget: Int = 3000) -> DoctorCheck {
        func counts(_ key: String) -> [String: Int] {
            guard let text = metadata[key] else { return [:] }
            return (try? JSONDecoder().decode([String: Int].self, from: Data(text.utf8))) ?? [:]
        }
        let used = counts("sync.quota")[month] ?? 0
        let left = max(0, budget - used)
        var text = "\(used) of \(budget) API calls used in \(month), \(left) left (sync.monthly_call_budget)"
        if let pushes = counts("stream.pushes")[month] {
            text += "; \(pushes) of \(pushBudget) Stream pushes (sync.monthly_push_budget)"
            if pushes >= pushBudget {
                text += ", over: further events arrive without content until next month"
                if left > 0 && left * 10 >= budget { return DoctorCheck("quota", .warn, text) }
            }
        }
        if left == 0 {
            return DoctorCheck("quota", .fail, text + "; syncs stop until next month: raise the budget or wait")
        }
        if left * 10 < budget {
            return DoctorCheck("quota", .warn, text + "; less than 10% left, a full sync may stop early")
        }
        return DoctorCheck("quota", .ok, text)
    }

    /// The scheduled syncs' projected monthly calls against the budget, from the store's observed rates.
    func planCheck(zone: ZoneClock?) -> DoctorCheck {
        guard let sync, !sync.appKey.isEmpty, !sync.appSecret.isEmpty, schedule.syncEnabled else {
            return DoctorCheck("plan", .ok, "scheduled sync is off (no DingTalk credentials); nothing to project")
        }
        guard let zone else { return DoctorCheck("plan", .warn, "no projection without a valid time zone") }
        let plan: QuotaPlan
        let events: EventQuotaPlan
        do {
            let engine = SyncEngine(settings: sync, directory: dataDirectory, zone: zone)
            plan = try engine.quotaPlan(schedule.syncCadence)
            events = try engine.eventPlan()
        } catch {
            return DoctorCheck("plan", .warn, "no projection: \(error.message)")
        }
        return DoctorCheck("plan", plan.isOverBudget ? .warn : .ok, plan.summary + "; " + events.summary)
    }

    func fontCheck() -> DoctorCheck {
        guard let fonts = chineseFonts() else {
            return DoctorCheck(
                "fonts",
                .warn,
                "fontconfig (fc-list) is missing; apt-get install fontconfig fonts-noto-cjk to render reports"
            )
        }
        guard let first = fonts.first else {
            return DoctorCheck(
                "fonts",
                .warn,
                "no font covers Chinese: rendered reports show empty boxes; apt-get install fonts-noto-cjk"
            )
        }
        return DoctorCheck(
            "fonts",
            .ok,
            "\(fonts.count) Chinese font famil\(fonts.count == 1 ? "y" : "ies"), e.g. \(first)"
        )
    }

    func mailCheck() -> DoctorCheck {
        if let mailProblem { return DoctorCheck("mail", .fail, mailProblem) }
        guard let mail else {
            return DoctorCheck("mail", .warn, "no [alerts] smtp_url: alerts and the monthly report are not mailed")
        }
        do {
            try mail.validate()
        } catch {
            return DoctorCheck("mail", .fail, error.message)
        }
        return DoctorCheck(
            "mail",
            .ok,
            "\(mail.host) (\(mail.tls.rawValue)) to \(mail.to.joined(separator: ", ")); `leanstats alert test` sends a test message"
        )
    }

    /// The robots' webhooks and secrets, without posting anything (`leanstats alert test --channel robot` does).
    func robotCheck() -> DoctorCheck {
        let problems = robots.flatMap(\.problems)
        if !problems.isEmpty { return DoctorCheck("robot", .fail, problems.joined(separator: "; ")) }
        let described = robots.map { "\($0.section).robot_webhook (\($0.secret == nil ? "unsigned" : "signed"))" }
        return DoctorCheck(
            "robot",
            .ok,
            described.joined(separator: ", ") + "; `leanstats alert test --channel robot` posts a test message"
        )
    }

    /// `fc-list :lang=zh family`, one family per line; `nil` when it cannot be run.
    @Sendable public static func fontconfigChineseFonts() -> [String]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["fc-list", ":lang=zh", "family"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            String($0.split(separator: ",").first ?? $0).trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }
}
