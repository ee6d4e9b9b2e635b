import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsSync

/// What one sync reported, in the shape the service needs (the real ``SyncSummary`` or a test's fake).
public struct SyncRunResult: Sendable, Equatable {
    /// The summary line.
    public var line: String
    /// Instances whose detail could not be read.
    public var failedInstances: Int
    /// The first notices of the run (failed instances, warnings).
    public var notices: [String]
    /// Wall-clock duration in seconds.
    public var seconds: Double
    /// HTTP requests made and how many of them were retries.
    public var requests: Int
    public var retries: Int

    /// Creates a result.
    public init(
        line: String,
        failedInstances: Int = 0,
        notices: [String] = [],
        seconds: Double = 0,
        requests: Int = 0,
        retries: Int = 0
    ) {
        self.line = line
        self.failedInstances = failedInstances
        self.notices = notices
        self.seconds = seconds
        self.requests = requests
        self.retries = retries
    }
}

/// Everything unattended operation needs, read from the configuration by the caller.
public struct ServiceConfiguration: Sendable {
    /// The data directory.
    public var dataDirectory: String
    /// The configured zone.
    public var zone: ZoneClock
    /// When the jobs fire (``ScheduleSettings/syncEnabled`` off without credentials).
    public var schedule = ScheduleSettings()
    /// Staleness and performance limits.
    public var thresholds = AlertThresholds()
    /// The SMTP settings, `nil` to mail nothing.
    public var mail: MailSettings?
    /// `report.to`, default `alerts.to`.
    public var reportTo: [String] = []
    /// The DingTalk settings, `nil` without credentials.
    public var sync: SyncSettings?
    /// The group robot that gets the alerts (`[alerts] robot_webhook`), `nil` for none.
    public var robot: RobotSettings?
    /// The group robot that gets the monthly summary (`[report] robot_webhook`, default ``robot``).
    public var reportRobot: RobotSettings?
    /// Who gets the monthly summary as a work notification (`[report] agent_id`, `to_userids`); needs ``sync``.
    public var workNotification: WorkNotificationSettings?
    /// The dashboard's address as readers reach it (`server.public_url`), for links in DingTalk messages.
    public var publicURL: String?
    /// The machine's name in subjects.
    public var origin = ProcessInfo.processInfo.hostName

    /// Creates a configuration with the defaults of `docs/configuration.md`.
    public init(dataDirectory: String, zone: ZoneClock) {
        self.dataDirectory = dataDirectory
        self.zone = zone
    }
}

/// Runs the scheduled jobs of `leanstats serve`: incremental and full syncs (never two at once, never beside a
/// manual `leanstats sync`), the monthly report, and the alerts (failure streaks, staleness, thresholds), with
/// both state files in the data directory (`serve-schedule.json`, `serve-alerts.json`).
///
/// Call ``tick()`` whenever the clock may have reached a fire time, or ``run()`` to loop until the task is
/// cancelled. The clock and the sync are injectable for tests.
public actor ServiceRunner {
    /// The configuration.
    public let configuration: ServiceConfiguration
    private let scheduler: Scheduler
    private let policy: AlertPolicy
    private let gate: SyncGate
    private let mailer: Mailer?
    private let alertRobot: RobotOutbox?
    private let reportRobot: RobotOutbox?
    private let clock: @Sendable () -> Int64
    private let log: @Sendable (String) -> Void
    private let onJobFinished: @Sendable (JobRun) -> Void
    private let syncRun: @Sendable (SyncMode) async throws -> SyncRunResult
    private let scheduleFile: StateFile<SchedulerState>
    private let alertFile: StateFile<AlertState>
    /// The alerting state, read from ``alertFile`` on first use and written back whenever it changes.
    private var alertState: AlertState?
    /// The state as last written, so unchanged state is not written again.
    private var savedAlertState: AlertState?

    /// Creates a runner.
    /// - Parameters:
    ///   - configuration: The settings.
    ///   - clock: Now, Unix seconds.
    ///   - log: Receives one line per event (job start and end with its summary, alerts sent, warnings); never a
    ///     secret.
    ///   - sync: Runs a sync; by default a ``SyncEngine`` over libcurl with ``ServiceConfiguration/sync``.
    ///   - onJobFinished: Called after each finished run (e.g. so the server reloads the store after a sync).
    /// - Throws: ``ServiceError`` when the mail settings are unusable.
    public init(
        configuration: ServiceConfiguration,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        log: @escaping @Sendable (String) -> Void,
        sync: (@Sendable (SyncMode) async throws -> SyncRunResult)? = nil,
        onJobFinished: @escaping @Sendable (JobRun) -> Void = { _ in }
    ) throws(ServiceError) {
        var configuration = configuration
        if configuration.sync == nil && sync == nil { configuration.schedule.syncEnabled = false }
        self.configuration = configuration
        scheduler = Scheduler(settings: configuration.schedule, zone: configuration.zone)
        policy = AlertPolicy(
            thresholds: configuration.thresholds,
            zone: configuration.zone,
            origin: configuration.origin
        )
        gate = SyncGate(store: SnapshotStore(directory: configuration.dataDirectory))
        mailer = try configuration.mail.map { settings throws(ServiceError) in try Mailer(settings: settings) }
        let outbox = { (settings: RobotSettings) in
            RobotOutbox(messenger: RobotMessenger(settings: settings)) { log($0) }
        }
        alertRobot = configuration.robot.map(outbox)
        if let settings = configuration.reportRobot, settings.webhook != configuration.robot?.webhook {
            reportRobot = outbox(settings)
        } else {
            reportRobot = alertRobot
        }
        self.clock = clock
        self.log = log
        self.onJobFinished = onJobFinished
        scheduleFile = StateFile(path: "\(configuration.dataDirectory)/serve-schedule.json")
        alertFile = StateFile(path: "\(configuration.dataDirectory)/serve-alerts.json")
        if let sync {
            syncRun = sync
        } else if let settings = configuration.sync {
            let directory = configuration.dataDirectory
            let zone = configuration.zone
            syncRun = { mode in
                try await Self.engineSync(settings: settings, directory: directory, zone: zone, mode: mode)
            }
        } else {
            syncRun = { _ in throw ServiceError(.configuration, "no DingTalk credentials") }
        }
        if !configuration.schedule.syncEnabled {
            log("warning: no DingTalk credentials (dingtalk.app_key, dingtalk.app_secret): scheduled sync is off")
        }
        if mailer == nil { log("warning: alerts.smtp_url is not set: alerts and the monthly report are not mailed") }
        if configuration.workNotification != nil && configuration.sync == nil {
            log("warning: report.agent_id is set but there are no DingTalk credentials: no work notifications")
        }
    }

    /// Loops: runs due jobs, then sleeps until the next fire time (at most a minute, so a busy store is retried
    /// and staleness is checked). Returns when the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            _ = await tick()
            let now = clock()
            let wake = scheduler.nextWake(after: now) ?? (now + 60)
            let seconds = max(1, min(60, wake - now))
            try? await Task.sleep(for: .seconds(seconds))
        }
    }

    /// One pass: runs every due job, records it, sends the alerts it causes, checks staleness and the snapshot
    /// size.
    /// - Returns: The runs that finished (a job skipped because the store was busy is not among them).
    @discardableResult
    public func tick() async -> [JobRun] {
        var schedule = loadState(scheduleFile) ?? SchedulerState()
        let due = scheduler.dueJobs(now: clock(), state: &schedule)
        saveState(schedule, scheduleFile)
        var runs: [JobRun] = []
        for job in due {
            // Stopping: what is left stays due for the next start.
            if Task.isCancelled { break }
            let started = clock()
            log(
                "\(job.job) for \(configuration.zone.format(job.fireTime))\(job.isCatchUp ? " (catch-up)" : "") started"
            )
            let outcome: (JobRun.Outcome, String)
            switch job.job {
            case .dailySync, .weeklyFullSync:
                guard let result = await runSync(job) else { continue }
                outcome = result
            case .monthlyReport:
                outcome = await monthlyReport(now: started)
            }
            let run = JobRun(
                job: job.job,
                fireTime: job.fireTime,
                started: started,
                finished: clock(),
                outcome: outcome.0,
                summary: outcome.1
            )
            log("\(job.job) \(outcome.0.rawValue): \(outcome.1)")
            scheduler.record(run, in: &schedule)
            saveState(schedule, scheduleFile)
            runs.append(run)
            onJobFinished(run)
        }
        if configuration.schedule.syncEnabled {
            let now = clock()
            await alerting { policy.checkStaleness(now: now, state: &$0) }
        }
        if let size = newestSnapshotBytes() {
            let now = clock()
            await alerting { policy.observe(.snapshotSize, Double(size) / 1_000_000, now: now, state: &$0) }
        }
        return runs
    }

    /// Feeds a query's latency (from the server) into the threshold alerts: the first query over
    /// `alerts.thresholds.query_latency_ms` is mailed, and the first one back under it. Touches the disk only when
    /// that state changes.
    /// - Parameter milliseconds: The latency.
    public func observeQueryLatency(milliseconds: Double) async {
        let now = clock()
        await alerting { policy.observe(.queryLatency, milliseconds, now: now, state: &$0) }
    }

    // MARK: - Parts

    /// Runs a sync job through the gate; `nil` when the store was busy or the service is stopping (the job stays
    /// due).
    private func runSync(_ job: DueJob) async -> (JobRun.Outcome, String)? {
        let mode: SyncMode = job.job == .weeklyFullSync ? .full : .incremental
        let syncRun = self.syncRun
        do {
            let result = try await gate.exclusive { try await syncRun(mode) }
            var outcome = SyncOutcome(finished: clock(), summary: result.line)
            outcome.failedInstances = result.failedInstances
            outcome.firstErrors = Array(result.notices.prefix(5))
            let now = clock()
            await alerting { policy.syncFinished(outcome, state: &$0) }
            await alerting { policy.observe(.syncDuration, result.seconds, now: now, state: &$0) }
            if result.requests > 0 {
                let rate = Double(result.retries) / Double(result.requests) * 100
                await alerting { policy.observe(.apiErrorRate, rate, now: now, state: &$0) }
            }
            return (result.failedInstances > 0 ? .failed : .succeeded, result.line)
        } catch let error as ServiceError where error.code == .busy {
            log("\(job.job) skipped: \(error.message)")
            return nil
        } catch let error as SyncError where error.code == .cancelled && Task.isCancelled {
            // Shutting down is not a failure: no alert, and the job stays due so the next start finishes it.
            log("\(job.job) stopped for shutdown: \(error)")
            return nil
        } catch let error as SyncError where error.isCleanStop {
            // The budget or the quota ended it cleanly: progress is saved, not a failure.
            let outcome = SyncOutcome(finished: clock(), summary: "\(error)")
            await alerting { policy.syncFinished(outcome, state: &$0) }
            return (.succeeded, "stopped early: \(error)")
        } catch {
            let outcome = SyncOutcome(finished: clock(), error: "\(error)")
            await alerting { policy.syncFinished(outcome, state: &$0) }
            return (.failed, "\(error)")
        }
    }

    /// Applies one event to the alerting state, writes the state when it changed, then sends the alerts the event
    /// caused. The state is changed and written before the first suspension, so events that arrive while another
    /// one is mailing (a served query during a sync) never overwrite each other's changes.
    /// - Parameter event: Updates the state and returns the alerts to send.
    private func alerting(_ event: (inout AlertState) -> [Alert]) async {
        if alertState == nil { savedAlertState = loadState(alertFile) }
        var state = alertState ?? savedAlertState ?? AlertState()
        let alerts = event(&state)
        alertState = state
        if state != savedAlertState {
            saveState(state, alertFile)
            savedAlertState = state
        }
        await send(alerts)
    }

    /// Writes the monthly report, hands its summary to the report robot and the work notification, and mails it.
    private func monthlyReport(now: Int64) async -> (JobRun.Outcome, String) {
        let job = MonthlyReportJob(
            store: SnapshotStore(directory: configuration.dataDirectory),
            zone: configuration.zone,
            from: configuration.mail?.from ?? "",
            recipients: configuration.reportTo
        )
        do {
            let written = try job.write(now: now)
            let summary = written.summaryMessage(publicURL: configuration.publicURL)
            var notes: [String] = []
            if let reportRobot {
                await reportRobot.enqueue(summary)
                notes.append("summary queued for the robot")
            }
            if let settings = configuration.workNotification, let sync = configuration.sync {
                do {
                    try await WorkNotifier(settings: settings, sync: sync).send(summary)
                    notes.append("work notification sent to \(settings.userIds.count) user(s)")
                } catch {
                    log("warning: \(error.message)")
                    notes.append("work notification failed")
                }
            }
            let report = try await job.mail(written, mailer: mailer)
            return (.succeeded, ([report.line] + notes).joined(separator: "; "))
        } catch {
            return (.failed, "\(error)")
        }
    }

    /// Mails alerts and posts them to the alerts robot (when configured), and logs them.
    private func send(_ alerts: [Alert]) async {
        for alert in alerts {
            if let alertRobot {
                await alertRobot.enqueue(robotMessage(alert))
            }
            guard let mailer else {
                if alertRobot == nil { log("alert (not mailed, no alerts.smtp_url): \(alert.subject)") }
                continue
            }
            let message = MailMessage(
                from: mailer.settings.from,
                to: mailer.settings.to,
                subject: alert.subject,
                body: alert.body
            )
            do {
                try await mailer.send(message)
                log("alert mailed: \(alert.subject)")
            } catch {
                log("alert not mailed: \(alert.subject): \(error)")
            }
        }
    }

    /// An alert as a robot's markdown: the subject as heading, the body, the store and a link to the dashboard.
    private func robotMessage(_ alert: Alert) -> RobotMessage {
        var paragraphs = ["### \(alert.subject)"]
        paragraphs += alert.body.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        paragraphs.append("存储 / store: \(configuration.dataDirectory) (LeanStats)")
        if let base = configuration.publicURL.map(MonthlyReport.trimmed), !base.isEmpty {
            paragraphs.append("[打开看板 / Open the dashboard](\(base)/)")
        }
        return RobotMessage(title: alert.subject, text: paragraphs.joined(separator: "\n\n"))
    }

    /// Robot messages queued but not yet posted (waiting for the per-minute limit or a throttle).
    public func pendingRobotMessages() async -> Int {
        let alerts = await alertRobot?.pendingCount ?? 0
        guard let reportRobot, reportRobot !== alertRobot else { return alerts }
        return alerts + (await reportRobot.pendingCount)
    }

    private func newestSnapshotBytes() -> Int? {
        let store = SnapshotStore(directory: configuration.dataDirectory)
        guard let newest = store.generations().first,
            let attributes = try? FileManager.default.attributesOfItem(atPath: store.path(ofGeneration: newest)),
            let size = attributes[.size] as? NSNumber
        else { return nil }
        return size.intValue
    }

    private func loadState<Value>(_ file: StateFile<Value>) -> Value? {
        do {
            return try file.load()
        } catch {
            log("warning: \(error); starting from an empty state")
            return nil
        }
    }

    private func saveState<Value>(_ value: Value, _ file: StateFile<Value>) {
        do {
            try file.save(value)
        } catch {
            log("warning: \(error)")
        }
    }

    /// The production sync: a ``SyncEngine`` on the real clock, over libcurl.
    private static func engineSync(
        settings: SyncSettings,
        directory: String,
        zone: ZoneClock,
        mode: SyncMode
    ) async throws -> SyncRunResult {
        let notices = Locked<[String]>([])
        let engine = SyncEngine(settings: settings, directory: directory, zone: zone) { event in
            if case .notice(let line) = event { notices.withLock { if $0.count < 20 { $0.append(line) } } }
        }
        let summary = try await engine.run(mode)
        return SyncRunResult(
            line: summary.line,
            failedInstances: summary.failed,
            notices: notices.withLock { $0 },
            seconds: summary.seconds,
            requests: summary.requests,
            retries: summary.retries
        )
    }
}
