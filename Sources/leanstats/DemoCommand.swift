import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsQuery
import LeanStatsReport
import LeanStatsSnapshot
import LeanStatsSync

/// `leanstats demo`: the main job on the bundled sample — start the DingTalk emulator on loopback with `Data/`,
/// sync it into a fresh store through the real client, then print the overview and the department table of the
/// latest month, and write that month's Excel report.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Sync the bundled sample from a local DingTalk emulator into a fresh store and print the latest month.",
        discussion: """
            The emulator serves Data/ on a free loopback port with DingTalk's rules, on a clock that starts the day \
            after the newest instance (the sample ends in 2025-11; DingTalk lists only the last 365 days). The sync \
            is the real one: libcurl, tokens, windows, pages, contacts, durable batches. Then an approval arrives \
            live: the demo listens to the emulator's Stream gateway as `leanstats listen` does, the emulator \
            approves one open proposal, and the month's numbers are printed again from the journaled change.
            """
    )

    @Option(name: .long, help: "The sample directory holding the two MySQL table exports.")
    var sample: String = "Data"

    @Option(name: .long, help: "Where to build the demo store (default: a new temporary directory).")
    var data: String?

    @Option(name: .long, help: "The time zone that defines days and months.")
    var tz: String = "Asia/Shanghai"

    @Option(name: .long, help: "Calls per API per second between the demo's client and emulator (1–1000).")
    var qps: Int = 1000

    @Option(name: .long, help: "The DingTalk API family to use: v1 or legacy.")
    var api: String = "v1"

    func validate() throws {
        if qps < 1 || qps > 1000 { throw ValidationError("--qps must be between 1 and 1000") }
    }

    func run() throws {
        try reportingErrors {
            guard let family = DingTalkAPI(rawValue: api) else {
                throw CommandFailure("--api must be v1 or legacy, not '\(api)'")
            }
            let dataset = try EmulatorDataset.sample(directory: sample)
            let directory = data ?? FileManager.default.temporaryDirectory.path + "/leanstats-demo-\(getpid())"
            let options = try StoreOptions.parse(["--data", directory, "--tz", tz])
            if let existing = try options.load(requireData: false), existing.table.rowCount > 0 {
                throw CommandFailure("\(directory) already holds data; the demo needs an empty directory")
            }
            var emulatorOptions = EmulatorOptions()
            emulatorOptions.qps = qps
            let emulator = try DingTalkEmulator(dataset: dataset, options: emulatorOptions)
            let server = try EmulatorServer(emulator: emulator, port: 0)
            defer { server.stop() }
            var settings = SyncSettings()
            settings.api = family
            settings.apiURL = server.baseURL
            settings.oapiURL = server.baseURL
            settings.appKey = emulatorOptions.appKey
            settings.appSecret = emulatorOptions.appSecret
            settings.processCodes = [emulatorOptions.processCode]
            settings.qps = qps
            settings.concurrency = 8
            settings.batchSize = 500
            settings.backoffMilliseconds = 50
            settings.backoffMaxMilliseconds = 2000
            let progress = ProgressLine(enabled: stderrIsTerminal)
            let engine = SyncEngine(
                settings: settings,
                directory: directory,
                zone: try options.clock(),
                clock: ShiftedSyncClock(startingAt: emulator.clock.now())
            ) { event in
                switch event {
                case .progress(let report): progress.show(report.line)
                case .notice(let line): progress.print(line)
                }
            }
            printError(
                "leanstats: syncing the sample from the DingTalk emulator at \(server.baseURL) (\(family.rawValue) API)"
            )
            let summary = try waitFor { try await engine.run(.incremental) }
            progress.clear()
            printError("leanstats: " + summary.line)
            if let stop = summary.stop { throw CommandFailure("\(stop)") }
            let executor = try options.executor()
            let engineForQueries = executor.engine
            guard let last = engineForQueries.table.createTimeBounds?.upperBound else {
                throw CommandFailure("the sample in \(sample) holds no instances")
            }
            let latest = engineForQueries.clock.date(at: last)
            let month = latest.monthText
            for line in ["overview \(month)", "by dept count,passed,pass_rate,participants,avg_days \(month)"] {
                print("> \(line)")
                print(OutputFormat.table.render(try executor.run(line)))
            }
            let workbook = "\(directory)/report-\(month).xlsx"
            let request = try ReportRequest(period: try ReportPeriod(.month(year: latest.year, month: latest.month)))
            try ReportWriter().write(
                try ReportContent(engine: engineForQueries, request: request),
                to: try ReportDestination(path: workbook)
            )
            try showLiveApproval(emulator: emulator, settings: settings, directory: directory, month: month)
            print("The monthly report is \(workbook).")
            print("The store is in \(directory). Try: leanstats query --data \(directory) \"trend all\"")
        }
    }

    /// Approves one open proposal of `month` in the emulator and shows the event arriving in the store: the
    /// Stream listener and ``EventIngest`` that `leanstats listen` runs, then the month's overview again.
    private func showLiveApproval(emulator: DingTalkEmulator, settings: SyncSettings, directory: String, month: String)
        throws
    {
        let options = try StoreOptions.parse(["--data", directory, "--tz", tz])
        let clock = try options.clock()
        guard
            let open = emulator.instances.last(where: {
                $0.status == .running && clock.date(at: $0.createTime).monthText == month
            }) ?? emulator.instances.last(where: { $0.status == .running })
        else { return }
        let live: LiveStore
        do {
            live = try LiveStore(directory: directory, purpose: "demo")
        } catch {
            throw CommandFailure("cannot open the demo store for the live approval: \(error)")
        }
        defer { try? live.close() }
        let transport = CurlTransport(timeoutSeconds: 5)
        let ingest = try EventIngest(
            settings: settings,
            live: live,
            transport: transport,
            clock: ShiftedSyncClock(startingAt: emulator.clock.now())
        )
        let stored = Locked<ContinuousClock.Instant?>(nil)
        let listener = StreamListener(configuration: StreamConfiguration(settings: settings), transport: transport) {
            event in
            try await ingest.handle(event)
            if event.processInstanceId == open.instanceId { stored.withLock { $0 = .now } }
        }
        let listening = listener.start()
        defer { listening.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while listener.statistics.connectionsOpened == 0 && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        let line = "overview \(month)"
        let approved = ContinuousClock.now
        let finish = max(open.createTime + 3_600, emulator.clock.now() / 1000)
        emulator.update(open.instanceId) {
            $0.status = .completed
            $0.result = .agree
            $0.finishTime = finish
        }
        while stored.withLock({ $0 }) == nil && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        guard let arrival = stored.withLock({ $0 }) else {
            printError("leanstats: the live approval did not arrive over the Stream gateway within 10 s")
            return
        }
        let milliseconds = (arrival - approved).components.attoseconds / 1_000_000_000_000_000
            + (arrival - approved).components.seconds * 1000
        print(
            "> live: \(open.originatorUserName ?? open.originatorUserId ?? "someone")'s proposal "
                + "\(open.title.map { "「\($0)」" } ?? open.instanceId) was approved in DingTalk; the Stream event was "
                + "journaled \(milliseconds) ms later"
        )
        let executor = QueryExecutor(
            engine: StatisticsEngine(table: live.table, clock: clock, options: .oneQuery),
            headcounts: DepartmentHeadcounts.decode(from: live.metadata)
        )
        print("> \(line)")
        print(OutputFormat.table.render(try executor.run(line)))
    }
}
