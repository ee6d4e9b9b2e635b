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
            runs at start and then every sync.catch_up_hours, stretched by the month's remaining budget; it repairs \
            events lost on the way. Needs the app's Stream event subscription for bpms_instance_change.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    @Option(name: .long, help: "Pretend it is this time (YYYY-MM-DD HH:MM, store zone) — for the emulator.")
    var now: String?

    @Flag(name: .long, help: "Do not run catch-up syncs (events only).")
    var noCatchUp = false

    func run() throws {
        try reportingErrors {
            let zone = try store.clock()
            let clock = try syncClock(now: now, zone: zone)
            let settings = try configOptions.syncSettings(from: configOptions.load())
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
