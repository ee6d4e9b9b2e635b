import ArgumentParser
import Dispatch
import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsSync

/// `leanstats listen`: keeps the store current from DingTalk's Stream events in the foreground, with a catch-up
/// sync as often as the month's API budget allows, until SIGINT or SIGTERM.
struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Keep the store current from DingTalk's Stream events, with budgeted catch-up syncs.",
        discussion: """
            Opens a Stream connection with dingtalk.app_key/app_secret and stores every approval change as it \
            arrives: a finish or terminate of a stored instance without an API call, a new instance with one \
            detail call. Each change is journaled and fsync'd before DingTalk gets its acknowledgement, so a kill \
            at any moment loses nothing acknowledged (docs/journal-format.md); a running `leanstats serve` on the \
            same --data shows it within a second. A catch-up sync (the ids still RUNNING, docs/quota-planning.md) \
            runs at start (unless the last sync finished less than one interval ago) and then every \
            sync.catch_up_hours, stretched by the month's remaining budget; it repairs \
            events lost on the way; --catch-up-every SECONDS runs one every SECONDS real seconds instead (for an \
            emulated plant that runs fast, with --now emulator). Needs the app's Stream event subscription for \
            bpms_instance_change.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    @OptionGroup var live: LiveSyncOptions

    @Flag(name: .long, help: "Do not run catch-up syncs (events only).")
    var noCatchUp = false

    func validate() throws {
        if live.catchUpEvery != nil && noCatchUp {
            throw ValidationError("give either --catch-up-every or --no-catch-up, not both")
        }
    }

    func run() throws {
        try reportingErrors {
            let zone = try store.clock()
            let settings = try configOptions.syncSettings(from: configOptions.load())
            let clock = try syncClock(now: live.now, zone: zone, emulatorURL: settings.apiURL)
            // Stops on SIGINT/SIGTERM, or when the listener gives up (credentials, permission, settings).
            let stop = DispatchSemaphore(value: 0)
            var signals: [any DispatchSourceSignal] = []
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { stop.signal() }
                source.resume()
                signals.append(source)
            }
            let runner = try LiveIngestRunner(
                settings: settings,
                directory: store.directory,
                zone: zone,
                clock: clock,
                catchUp: !noCatchUp,
                catchUpEverySeconds: live.catchUpEvery,
                log: { Self.log($0) },
                failed: { stop.signal() }
            )
            Self.log("listening for Stream events into \(store.directory) (Ctrl-C stops)")
            stop.wait()
            for source in signals { source.cancel() }
            Self.log("stopped: " + (try runner.stop()))
            if let message = runner.failureMessage { throw CommandFailure(message) }
        }
    }

    private static func log(_ line: String) {
        printError("leanstats listen: \(line)")
    }
}

/// The sync clock and the catch-up interval of the live ingest that `listen` and `serve` (with sync.stream) run.
struct LiveSyncOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Pretend it is this time (YYYY-MM-DD HH:MM, store zone), or 'emulator' to follow the emulator's clock.",
            valueName: "TIME"
        )
    )
    var now: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Run a catch-up every SECONDS real seconds instead of every sync.catch_up_hours.",
            discussion: "For an emulated plant that runs faster than real time (--plant-speed).",
            valueName: "SECONDS"
        )
    )
    var catchUpEvery: Double?

    func validate() throws {
        if let seconds = catchUpEvery, !(seconds >= 0.1 && seconds <= 31_536_000) {
            throw ValidationError("--catch-up-every must be between 0.1 and 31536000 seconds")
        }
    }
}
