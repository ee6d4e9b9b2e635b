import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsEmulator

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `leanstats emulator`: serves the DingTalk APIs of both families on loopback, from a store or the bundled
/// sample, with the real rules and optional faults.
struct EmulatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run a local DingTalk emulator (both API families) for trials and tests.",
        discussion: """
            Serves on 127.0.0.1: tokens, instance listing and details (v1.0 and legacy), and the contacts APIs, with \
            DingTalk's rules (120-day windows at most 365 days back, 20 ids per page, QPS limit, token expiry, each \
            family's error shapes), a group robot (/robot/send: access token, signature, keyword, 20 messages a minute) \
            and work notifications; GET /_emulator/robot/messages and /_emulator/work/messages show what they \
            received. The clock is shifted: "now" starts at midnight (Beijing) after the newest \
            instance unless --now says otherwise, so a year-old sample is in reach; sync with the same --now. \
            It also serves the dashboard's DingTalk login (/oauth2/auth, userAccessToken, users/me, getbyunionid) \
            and a department tree derived from the data: --login-as USERID signs that user in without asking. \
            The Stream gateway (POST /v1.0/gateway/connections/open, then a WebSocket on --stream-port) pushes \
            bpms_instance_change events when instances change, with optional Stream faults (--stream-…); \
            GET /_emulator/statistics shows calls and pushes per month. \
            --plant serves an emulated plant instead of stored data: proposals arrive at --plant-rate a month and \
            are decided after a log-normal delay with median --plant-median-days, starting from a steady state \
            (130 days of history, about 300 open with the defaults); emulated time runs --plant-speed times as fast \
            as real time, so a month of traffic passes in minutes. --plant-paused starts it paused; POST \
            /_emulator/plant/pause and /_emulator/plant/resume stop and restart it (GET /_emulator/plant shows its \
            counts). For benchmarks: GET /_emulator/instances lists the instances served now, \
            /_emulator/events?after=N&limit=M the Stream events emitted with their wall-clock times, \
            /_emulator/clock the emulated now (`leanstats sync --now emulator` follows it), and \
            /_emulator/statistics counts stream_pending, the events not yet acknowledged. \
            Runs until interrupted (Ctrl-C).
            """
    )

    @Option(name: .long, help: "The port (0 picks a free one).")
    var port: Int = 8089

    @Option(name: .long, help: "Serve the instances of this LeanStats store.")
    var data: String?

    @Flag(name: .long, help: "Serve the bundled sample (Data/).")
    var sample = false

    @Flag(name: .long, help: "Serve an emulated plant whose proposals arrive and are decided as time passes.")
    var plant = false

    @Option(name: .long, help: "The plant's new proposals a month.")
    var plantRate: Double = PlantSettings().perMonth

    @Option(name: .long, help: "The plant's median days from creation to approval.")
    var plantMedianDays: Double = PlantSettings().medianDays

    @Option(name: .long, help: "The plant's seed; the same seed gives the same plant.")
    var plantSeed: UInt64 = PlantSettings().seed

    @Option(name: .long, help: "Emulated seconds per real second while serving the plant.")
    var plantSpeed: Double = 1

    @Flag(name: .long, help: "Start the plant paused; POST /_emulator/plant/resume starts it.")
    var plantPaused = false

    @Option(name: .long, help: "The sample directory for --sample.")
    var sampleDir: String = "Data"

    @Option(name: .long, help: "The emulated current time (YYYY-MM-DD[ HH:MM], Asia/Shanghai), or 'real'.")
    var now: String?

    @Option(name: .long, help: "Calls allowed per API per second.")
    var qps: Int = 20

    @Option(name: .long, help: "The app key the emulator accepts.")
    var appKey: String = EmulatorOptions().appKey

    @Option(name: .long, help: "The app secret the emulator accepts.")
    var appSecret: String = EmulatorOptions().appSecret

    @Option(name: .long, help: "The process code of the served instances.")
    var processCode: String = EmulatorOptions().processCode

    @Option(name: .long, help: "Access token lifetime in seconds.")
    var tokenLifetime: Int = 7200

    @Option(name: .long, help: "The most ids one listing loop returns.")
    var listCap: Int = 10_000

    @Option(name: .long, help: "Approval-API calls allowed per month (default: unlimited).")
    var monthlyQuota: Int?

    @Option(name: .long, help: "Fail every Nth request transiently (HTTP 5xx, errcode -1/15).")
    var failEvery: Int?

    @Option(name: .long, help: "Throttle every Nth request (90018, 403 QpsLimit, 429).")
    var throttleEvery: Int?

    @Option(name: .long, help: "Expire the access token on every Nth authenticated request.")
    var expireTokenEvery: Int?

    @Option(name: .long, help: "Answer every Nth request late (see --slow-ms).")
    var slowEvery: Int?

    @Option(name: .long, help: "How late a slow answer is, in milliseconds.")
    var slowMs: Int = 2000

    @Option(name: .long, help: "Garble every Nth answer (HTML ban page, truncated JSON, cut transfer).")
    var garbageEvery: Int?

    @Option(name: .long, help: "Answer every Nth request with an oversized body (see --oversize-bytes), plain or gzip.")
    var oversizeEvery: Int?

    @Option(name: .long, help: "The size of an oversized answer, inflated.")
    var oversizeBytes: Int = 64 << 20

    @Option(name: .long, help: "Paginate listings wrongly: 'repeat' (the same cursor again) or 'endless'.")
    var listingLoop: FaultPlan.ListingLoop?

    @Option(name: .long, help: "The access_token of the emulated group robot (/robot/send).")
    var robotToken: String = EmulatorOptions().robotAccessToken

    @Option(name: .long, help: "The robot's signing secret (SEC…); 'none' for an unsigned robot.")
    var robotSecret: String = EmulatorOptions().robotSecret ?? "none"

    @Option(name: .long, help: "A keyword every robot message must contain (else errcode 310000).")
    var robotKeyword: String?
    @Option(
        name: .long,
        help: "The user the login page signs in without asking (a user id, or 'outsider' for someone outside the org)."
    )
    var loginAs: String?

    @Option(name: .long, help: "The Stream gateway's WebSocket port (0 picks a free one).")
    var streamPort: Int = 0
    @Option(name: .long, help: "Stream pushes allowed per month (default: unlimited); beyond, errCode 20001.")
    var monthlyPushQuota: Int?
    @Flag(name: .long, help: "Push bpms_task_change events too (each is a push against the quota).")
    var streamTaskEvents = false
    @Option(name: .long, help: "Milliseconds the Stream gateway waits for an ack before delivering again.")
    var streamAckTimeoutMs: Int = EmulatorOptions().streamAckTimeoutMilliseconds
    @Option(name: .long, help: "Milliseconds between the Stream gateway's SYSTEM pings (0: none).")
    var streamPingMs: Int = EmulatorOptions().streamPingMilliseconds ?? 0
    @Option(name: .long, help: "Close the Stream connection after every Nth event, without a disconnect.")
    var streamDropEvery: Int?
    @Option(name: .long, help: "Send SYSTEM disconnect after every Nth event and close.")
    var streamDisconnectEvery: Int?
    @Option(name: .long, help: "Ignore every Nth ack, so the event is delivered again.")
    var streamWithholdAckEvery: Int?
    @Option(name: .long, help: "Deliver every Nth event twice.")
    var streamDuplicateEvery: Int?
    @Flag(name: .long, help: "Lose events emitted while no Stream client is connected (instead of queueing them).")
    var streamLoseWhileDisconnected = false

    @Option(name: .long, help: "The dashboard address printed as server.public_url in the config.")
    var publicUrl: String = "http://127.0.0.1:8080"

    func validate() throws {
        if [data != nil, sample, plant].filter({ $0 }).count != 1 {
            throw ValidationError("give one of --data DIR, --sample and --plant")
        }
        if plantPaused && !plant { throw ValidationError("--plant-paused needs --plant") }
        if !(plantSpeed >= 1 && plantSpeed <= 1_000_000) {
            throw ValidationError("--plant-speed must be between 1 and 1000000 emulated seconds per second")
        }
        if port < 0 || port > 65_535 { throw ValidationError("--port must be between 0 and 65535") }
        if streamPort < 0 || streamPort > 65_535 { throw ValidationError("--stream-port must be between 0 and 65535") }
        if streamAckTimeoutMs < 1 { throw ValidationError("--stream-ack-timeout-ms must be at least 1") }
        if streamPingMs < 0 { throw ValidationError("--stream-ping-ms must not be negative") }
    }

    func run() throws {
        try reportingErrors {
            let beijing = try ZoneClock(identifier: "Asia/Shanghai")
            var emulatedPlant: EmulatedPlant?
            if plant {
                var settings = PlantSettings()
                settings.perMonth = plantRate
                settings.medianDays = plantMedianDays
                settings.seed = plantSeed
                let start =
                    try now.flatMap { $0 == "real" ? nil : try parseTime($0, option: "--now", zone: beijing) }
                    ?? EmulatorClock().now()
                emulatedPlant = try EmulatedPlant(settings: settings, start: start)
            }
            let dataset =
                try emulatedPlant.map { EmulatorDataset(instances: $0.backlog) }
                ?? data.map { try EmulatorDataset.store(directory: $0) }
                ?? EmulatorDataset.sample(directory: sampleDir)
            var options = EmulatorOptions()
            options.appKey = appKey
            options.appSecret = appSecret
            options.processCode = processCode
            options.qps = qps
            options.tokenLifetimeSeconds = tokenLifetime
            options.listCap = listCap
            options.monthlyQuota = monthlyQuota
            options.robotAccessToken = robotToken
            options.robotSecret = robotSecret == "none" ? nil : robotSecret
            options.robotKeyword = robotKeyword
            options.loginAs = loginAs
            options.faults = FaultPlan(
                failEvery: failEvery,
                throttleEvery: throttleEvery,
                expireTokenEvery: expireTokenEvery,
                slowEvery: slowEvery,
                garbageEvery: garbageEvery,
                slowMilliseconds: slowMs,
                oversizeEvery: oversizeEvery,
                oversizeBytes: oversizeBytes,
                listingLoop: listingLoop
            )
            options.faults.streamDropEvery = streamDropEvery
            options.faults.streamDisconnectEvery = streamDisconnectEvery
            options.faults.streamWithholdAckEvery = streamWithholdAckEvery
            options.faults.streamDuplicateEvery = streamDuplicateEvery
            options.faults.streamLoseWhileDisconnected = streamLoseWhileDisconnected
            options.streamTaskEvents = streamTaskEvents
            options.monthlyPushQuota = monthlyPushQuota
            options.streamAckTimeoutMilliseconds = streamAckTimeoutMs
            options.streamPingMilliseconds = streamPingMs == 0 ? nil : streamPingMs
            let clock: EmulatorClock
            switch now {
            case "real": clock = EmulatorClock()
            case nil where emulatedPlant != nil: clock = EmulatorClock(now: emulatedPlant?.now)
            case nil: clock = EmulatorClock(now: dataset.defaultNow)
            case .some(let text): clock = EmulatorClock(now: try parseTime(text, option: "--now", zone: beijing))
            }
            let emulator = try DingTalkEmulator(dataset: dataset, options: options, clock: clock)
            let server = try EmulatorServer(emulator: emulator, port: UInt16(port), streamPort: UInt16(streamPort))
            let nowText = String(beijing.format(clock.now() / 1000).prefix(16))
            let secret = appSecret == EmulatorOptions().appSecret ? appSecret : "<the --app-secret you gave>"
            let defaultRobotSecret = EmulatorOptions().robotSecret ?? ""
            let robotSecretLine =
                robotSecret == "none"
                ? ""
                : "robot_secret = \"\(robotSecret == defaultRobotSecret ? robotSecret : "<the --robot-secret you gave>")\""
            printError(
                "leanstats: emulator serving \(dataset.instances.count) instances of \(processCode) on \(server.baseURL) "
                    + "(v1.0 and legacy); emulated now \(nowText) Asia/Shanghai; Stream gateway "
                    + (server.streamEndpoint ?? "not running")
            )
            let organisation = emulator.organisation
            let heads = organisation.heads.sorted { $0.key < $1.key }.map { dept, user in
                "\(user) (\(organisation.department(dept)?.name ?? String(dept)))"
            }
            printError(
                "leanstats: emulator login: heads \(heads.joined(separator: ", ")); admins "
                    + "\(organisation.admins.joined(separator: ", ")); '\(EmulatedOrganisation.outsider)' is outside the org"
                    + (loginAs.map { "; signing in as \($0) without asking" } ?? "")
            )
            let snippet = """
                # leanstats.toml for this emulator (then: leanstats sync --now "\(nowText)" --tz Asia/Shanghai)
                [dingtalk]
                api = "v1"
                api_url = "\(server.baseURL)"
                oapi_url = "\(server.baseURL)"
                app_key = "\(appKey)"
                app_secret = "\(secret)"
                process_code = "\(processCode)"
                login_url = "\(server.baseURL)"
                [alerts]
                robot_webhook = "\(server.baseURL)/robot/send?access_token=\(robotToken)"
                \(robotSecretLine)
                [server]
                login = "dingtalk"
                public_url = "\(publicUrl)"
                admins = [\(organisation.admins.map { "\"\($0)\"" }.joined(separator: ", "))]

                """
            // Unbuffered, so a script reading the pipe sees it before the emulator is stopped.
            FileHandle.standardOutput.write(Data(snippet.utf8))
            if let emulatedPlant {
                emulator.attachPlant(paused: plantPaused, open: emulatedPlant.openCount)
                drive(emulatedPlant, emulator: emulator)
            }
            waitForStopSignal()
            server.stop()
            let statistics = emulator.statistics
            let faults = statistics.faults.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            printError(
                "leanstats: emulator stopped after \(statistics.requests) requests (\(statistics.quotaCalls) quota calls, "
                    + "\(statistics.tokensIssued) tokens, \(statistics.qpsRejections) over the QPS limit, "
                    + "\(statistics.pushes) Stream pushes"
                    + (faults.isEmpty ? "" : "; faults: " + faults.joined(separator: ", ")) + ")"
            )
        }
    }
}

extension EmulatorCommand {
    /// Runs the plant on a background thread: every real second the emulated clock moves on `--plant-speed`
    /// seconds and the plant's changes up to then are applied to the emulator. While the plant is paused
    /// (`/_emulator/plant/pause`) the clock runs in real time and nothing arrives or is decided.
    private func drive(_ plant: EmulatedPlant, emulator: DingTalkEmulator) {
        let extra = Int64(((plantSpeed - 1) * 1000).rounded())
        let beijing = try? ZoneClock(identifier: "Asia/Shanghai")
        let thread = Thread {
            var plant = plant
            var created = 0
            var finished = 0
            while true {
                Thread.sleep(forTimeInterval: 1)
                guard !emulator.plantStatus.paused else { continue }
                emulator.clock.advance(byMilliseconds: extra)
                let changes = plant.advance(to: emulator.clock.now(), applyingTo: emulator)
                created += changes.created.count
                finished += changes.finished.count
                emulator.recordPlantStep(
                    created: changes.created.count,
                    finished: changes.finished.count,
                    open: plant.openCount
                )
                if !changes.created.isEmpty || !changes.finished.isEmpty {
                    let time = beijing.map { String($0.format(plant.now / 1000).prefix(16)) } ?? "\(plant.now)"
                    printError(
                        "leanstats: plant at \(time): \(created) proposals created, \(finished) decided, "
                            + "\(plant.openCount) open (sync with --now \"\(time)\")"
                    )
                }
            }
        }
        thread.start()
    }
}

extension FaultPlan.ListingLoop: ExpressibleByArgument {}
