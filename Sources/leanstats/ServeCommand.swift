import ArgumentParser
import Dispatch
import Foundation
import LeanStatsServer
import LeanStatsService
import LeanStatsSync

/// `leanstats serve`: the dashboard and HTTP API over the store, plus the scheduled jobs (incremental and full
/// syncs, the monthly report, alerts), until SIGINT or SIGTERM.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the dashboard (/), the query and report APIs, /metrics and /healthz over HTTP.",
        discussion: """
            Listens on server.host:server.port (default 127.0.0.1:8080). Every route but /metrics and /healthz needs \
            Authorization: Bearer <server.token> (env LEANSTATS_SERVER_TOKEN), or open /?token=<server.token> once \
            in a browser to get a session cookie. Requests whose Host is not loopback, server.host or in \
            server.allowed_hosts are refused. A new snapshot written by a sync is served without a restart.

            Routes: / (dashboard, ?period=2025-11&dept=NAME), /list (drill-down), /api/query?q=LINE (as \
            `leanstats query --format json`), /api/report?period=2025-11 (xlsx), /metrics (Prometheus), /healthz.

            With server.login = "dingtalk" people sign in at /login with DingTalk (server.public_url, \
            server.admins): admins see everything, a department head his departments and those below them, \
            everyone else company totals only; /logout ends the session. The token keeps full access.

            While serving it runs the [schedule] jobs: the daily incremental sync, the weekly full sync (both only \
            with DingTalk credentials), the monthly report mailed to report.to, and the [alerts], by mail and to the \
            DingTalk group robot of alerts.robot_webhook (the monthly summary to report.robot_webhook and, with \
            report.agent_id, as a work notification; see docs/dingtalk-delivery.md). With sync.stream = true it \
            keeps the store current as `leanstats listen` does (Stream events journaled as they arrive, shown within \
            a second, plus budgeted catch-up syncs) instead of the scheduled syncs; for an emulated plant, --now \
            emulator follows the emulator's clock and --catch-up-every SECONDS sets the catch-up interval in real \
            seconds. SIGINT or SIGTERM \
            lets a running sync save what it fetched, then stops the server.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var config: ConfigOptions

    @Option(name: .long, help: "The IPv4 address to listen on (overrides server.host).")
    var host: String?

    @Option(name: .long, help: "The port to listen on, 0 for any free one (overrides server.port).")
    var port: UInt16?

    @OptionGroup(title: "With sync.stream") var live: LiveSyncOptions

    func run() throws {
        try reportingErrors {
            let file = try config.load()
            let settings = try ServerConfig(file)
            let stream = try streamSettings(file)
            let runner = try makeRunner(file, streaming: stream != nil)
            var token = settings.token ?? ""
            let generated = token.isEmpty
            if generated {
                var generator = SystemRandomNumberGenerator()
                token = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
                    .joined()
            }
            // Served queries feed the query_latency_ms alert, in order, without waiting for the runner.
            let latencies = QueryLatencyFeed(runner: runner)
            let server = DashboardServer(
                configuration: ServerConfiguration(
                    host: host ?? settings.host,
                    port: port ?? settings.port,
                    token: token,
                    allowedHosts: settings.allowedHosts,
                    dataDirectory: store.directory,
                    clock: try store.clock(),
                    monthlyCallBudget: settings.monthlyCallBudget,
                    monthlyPushBudget: settings.monthlyPushBudget,
                    limits: settings.limits,
                    sessionLifetime: settings.sessionLifetime,
                    login: try settings.login(file, address: "http://\(host ?? settings.host):\(port ?? settings.port)")
                ),
                onQueryLatency: { latencies.record(milliseconds: $0) }
            )
            let bound: UInt16
            do {
                bound = try waitFor { try await server.start() }
            } catch let error as ServerError {
                throw CommandFailure(error.description)
            }
            let address = "http://\(host ?? settings.host):\(bound)"
            if let error = server.source.lastError {
                printError("leanstats: warning: \(error)")
            } else if server.source.current() == nil {
                printError(
                    "leanstats: warning: \(store.directory) holds no snapshot yet; serving 503 until a sync writes one"
                )
            }
            if generated {
                printError("leanstats: no server.token configured; this run's token is \(token)")
                printError("leanstats: open \(address)/?token=\(token)")
            }
            // With sync.stream, Stream events and catch-ups go into the store's journal, which the dashboard follows.
            let ingest = try stream.map { settings in
                try LiveIngestRunner(
                    settings: settings,
                    directory: store.directory,
                    zone: try store.clock(),
                    clock: try syncClock(now: live.now, zone: try store.clock(), emulatorURL: settings.apiURL),
                    catchUp: true,
                    catchUpEverySeconds: live.catchUpEvery,
                    log: { Self.log($0) },
                    failed: { Self.log("the Stream listener stopped; the dashboard keeps serving the store as it is") }
                )
            }
            // The dashboard polls the store's generations, so a snapshot a job writes is served without a hook.
            let jobsStopped = DispatchSemaphore(value: 0)
            let jobs = Task {
                await runner.run()
                jobsStopped.signal()
            }
            printError("leanstats: serving \(store.directory) on \(address) (Ctrl-C stops)")
            waitForStopSignal()
            // A running sync sees the cancellation, saves the instances it fetched, and returns.
            Self.log("stopping the scheduled jobs")
            jobs.cancel()
            jobsStopped.wait()
            if let ingest {
                Self.log("stream stopped: " + (try ingest.stop()))
                if let message = ingest.failureMessage { Self.log("the Stream listener gave up: \(message)") }
            }
            let unposted = try waitFor { await runner.pendingRobotMessages() }
            if unposted > 0 { Self.log("\(unposted) robot message(s) not posted before stopping") }
            try waitFor { await server.stopAndWait() }
            // Alerts about the last queries are sent before exiting.
            try waitFor { await latencies.finish() }
            printError("leanstats: server stopped")
        }
    }

    /// The sync settings for Stream mode (`sync.stream = true` with DingTalk credentials), `nil` when it is off.
    private func streamSettings(_ file: ConfigFile) throws -> SyncSettings? {
        guard try file.boolean("sync", "stream") == true else { return nil }
        guard ServiceConfig.hasDingTalkCredentials(file) else {
            throw CommandFailure(
                "sync.stream needs DingTalk credentials: dingtalk.app_key and dingtalk.app_secret (or app_secret_file)"
            )
        }
        return try config.syncSettings(from: file)
    }

    /// Writes one line of the scheduled jobs' log to stderr.
    private static func log(_ line: String) {
        printError("leanstats serve: \(line)")
    }

    /// The runner of the scheduled jobs, from the `[schedule]`, `[alerts]`, `[report]`, `[dingtalk]` and `[sync]`
    /// sections. Scheduled sync is off (with one warning line) without DingTalk credentials or when the sync
    /// settings are unusable, so the dashboard starts regardless.
    /// - Parameter file: The configuration.
    /// - Returns: The runner, not yet started.
    /// - Throws: ``CommandFailure`` for a malformed `[schedule]`/`[alerts]`/`[report]` value or mail set-up.
    private func makeRunner(_ file: ConfigFile, streaming: Bool) throws -> ServiceRunner {
        let service = try ServiceConfig(file)
        var configuration = ServiceConfiguration(dataDirectory: store.directory, zone: try store.clock())
        configuration.schedule = service.schedule
        configuration.thresholds = service.thresholds
        configuration.mail = service.mail
        configuration.reportTo = service.reportTo
        configuration.robot = service.robot
        configuration.reportRobot = service.reportRobot
        configuration.workNotification = service.workNotification
        configuration.publicURL = service.publicURL
        if !ServiceConfig.hasDingTalkCredentials(file) {
            Self.log(
                "warning: scheduled sync is off: no DingTalk credentials (dingtalk.app_key and dingtalk.app_secret, "
                    + "dingtalk.app_secret_file or LEANSTATS_DINGTALK_APP_SECRET)"
            )
        } else if streaming {
            Self.log("sync.stream is on: Stream events and catch-up syncs keep the store current instead of [schedule]")
        } else if !service.schedule.syncEnabled {
            Self.log("warning: scheduled sync is off: disabled in [schedule]")
        } else {
            do {
                configuration.sync = try config.syncSettings(from: file)
            } catch {
                Self.log("warning: scheduled sync is off: \(error)")
            }
        }
        do {
            return try ServiceRunner(configuration: configuration) { line in
                // The reason sync is off was logged above, more precisely than the runner can tell it.
                guard !line.hasSuffix("scheduled sync is off") else { return }
                Self.log(line)
            }
        } catch {
            throw CommandFailure("config error: \(error.message)")
        }
    }
}
