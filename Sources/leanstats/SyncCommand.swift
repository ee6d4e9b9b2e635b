import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsService
import LeanStatsSync

/// `leanstats sync`: pulls approval instances from DingTalk (or any server at the configured URLs) into the store.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Pull approval instances from DingTalk into the store (incremental, resumable, quota-aware).",
        discussion: """
            Without options the sync lists instances created since the last sync and re-fetches every instance the \
            store still has as NEW or RUNNING. --catch-up (v1 API) instead lists the ids still RUNNING and fetches only \
            the open instances missing from that list, which costs a listing page per 20 open instances instead of a \
            call each. --full lists everything DingTalk allows (365 days back); --since \
            lists from a date. A sync that is interrupted (killed, out of budget, failing) continues where it \
            stopped on the next run. Settings come from leanstats.toml ([dingtalk], [sync]) and LEANSTATS_* \
            environment variables.
            --plan projects the monthly API calls of the [schedule] (daily incremental, weekly full) from the \
            store's observed rates against sync.monthly_call_budget and sync.monthly_push_budget, and says what \
            schedule would fit; it also projects Stream events plus a catch-up every sync.catch_up_hours and \
            suggests an interval that fits. It exits 3 when the projection of the mode in use is over a budget: \
            events + catch-up with sync.stream = true, polling otherwise.
            Exit status: 0 done, 1 error, 3 stopped at the monthly budget or DingTalk's quota (progress saved).
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    @Flag(name: .long, help: "List every window DingTalk allows (365 days back), re-fetching known instances.")
    var full = false

    @Flag(
        name: .long,
        help: "List new instances since the last sync and only the open ones that are no longer RUNNING (v1 API)."
    )
    var catchUp = false

    @Option(name: .long, help: "List instances created since DATE (YYYY-MM-DD or YYYY-MM-DD HH:MM, in --tz).")
    var since: String?

    @Flag(
        name: .long,
        help: "Print what the sync would cost in API calls and what is left of the budget; change nothing."
    )
    var dryRun = false

    @Flag(
        name: .long,
        help: "Project the scheduled syncs' monthly API calls against the budgets; change nothing (exit 3 when over)."
    )
    var plan = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Pretend the current time is TIME (YYYY-MM-DD[ HH:MM[:SS]] in --tz), e.g. to sync from `leanstats emulator`.",
            discussion: "'emulator' follows the emulator's own clock (GET /_emulator/clock at dingtalk.api_url).",
            valueName: "TIME"
        )
    )
    var now: String?

    func validate() throws {
        if [full, since != nil, catchUp].filter({ $0 }).count > 1 {
            throw ValidationError("give only one of --full, --since and --catch-up")
        }
        if plan && (full || since != nil || catchUp || dryRun) {
            throw ValidationError(
                "--plan projects the [schedule]; give it without --full, --since, --catch-up or --dry-run"
            )
        }
    }

    func run() throws {
        try reportingErrors {
            let zone = try store.clock()
            let mode: SyncMode =
                full
                ? .full
                : catchUp
                    ? .catchUp
                    : try since.map { .since(try parseTime($0, option: "--since", zone: zone)) } ?? .incremental
            let file = try configOptions.load()
            // A plan needs no credentials, so one can be made before the app is set up.
            let settings =
                try plan ? ConfigOptions.dingTalkSettings(from: file) : configOptions.syncSettings(from: file)
            let clock = try syncClock(now: now, zone: zone, emulatorURL: settings.apiURL)
            let progress = ProgressLine(enabled: stderrIsTerminal)
            let engine = SyncEngine(settings: settings, directory: store.directory, zone: zone, clock: clock) { event in
                switch event {
                case .progress(let report): progress.show(report.line)
                case .notice(let line): progress.print(line)
                }
            }
            if plan {
                var schedule = try ServiceConfig(file, readingMail: false).schedule
                schedule.syncEnabled = true
                let projection = try engine.quotaPlan(schedule.syncCadence)
                let events = try engine.eventPlan()
                // The exit status judges the mode `leanstats serve` runs: Stream events with sync.stream, else polling.
                let streaming = try file.boolean("sync", "stream") == true
                print("polling (the [schedule])" + (streaming ? ":" : ", in use:"))
                print(projection.report)
                print("")
                print((streaming ? "in use (sync.stream = true): " : "") + events.report)
                let overBudget =
                    streaming ? events.isOverCallBudget || events.isOverPushBudget : projection.isOverBudget
                if overBudget { throw ExitCode(3) }
                return
            }
            if dryRun {
                print(describe(try engine.estimate(mode), engine: engine))
                return
            }
            if full { printError(Self.historyLimit) }
            let summary = try waitFor { try await engine.run(mode) }
            progress.clear()
            print(summary.line)
            if let stop = summary.stop {
                printError("leanstats: \(stop)")
                throw ExitCode(3)
            }
        }
    }

    /// What a full sync cannot do, said before it starts.
    static let historyLimit =
        "leanstats: DingTalk lets a sync reach only 365 days back; older instances stay in the store from earlier "
        + "syncs and imports but can no longer be refreshed"

    /// The dry run's report.
    private func describe(_ estimate: SyncEstimate, engine: SyncEngine) -> String {
        var lines: [String] = []
        let what =
            estimate.resuming
            ? "continuing the unfinished \(modeName(estimate.mode)) sync" : "\(modeName(estimate.mode)) sync"
        lines.append(
            "dry run: \(what) of instances created \(engine.describe(estimate.from)) .. \(engine.describe(estimate.to)) "
                + "(\(estimate.windows) window\(estimate.windows == 1 ? "" : "s") of at most 120 days)"
        )
        var parts = ["\(estimate.openInstances) open instance\(estimate.openInstances == 1 ? "" : "s") to re-fetch"]
        if estimate.runningPages > 0 {
            parts.append("\(estimate.runningPages) listing pages of the instances still RUNNING")
        }
        if estimate.listedPending > 0 { parts.append("\(estimate.listedPending) listed instances still to fetch") }
        if let listed = estimate.expectedListed, let details = estimate.expectedDetails {
            parts.append("about \(listed) instance\(listed == 1 ? "" : "s") to list, \(details) of them to fetch")
        } else {
            parts.append("an unknown number of instances to list (the store is empty): add 21 calls per 20 instances")
        }
        lines.append("cost: about \(estimate.calls) API calls — " + parts.joined(separator: ", "))
        lines.append(
            "budget: \(estimate.used) of \(estimate.budget) calls used in \(estimate.month), \(estimate.left) left"
                + (estimate.exceedsBudget
                    ? "; the sync would stop at the budget after the open instances and the newest windows" : "")
        )
        return lines.joined(separator: "\n")
    }

    private func modeName(_ mode: SyncMode) -> String {
        switch mode {
        case .incremental: "incremental"
        case .catchUp: "catch-up"
        case .full: "full"
        case .since: "since"
        }
    }
}

/// Parses a local date or time option into epoch milliseconds.
/// - Throws: ``CommandFailure`` naming the option and the expected form.
/// The clock of a sync: the system's, one that starts at `--now` (for the emulator) and runs in real time, or with
/// `--now emulator` the emulator's own emulated clock (``EmulatorSyncClock``), which a plant runs fast.
/// - Parameters:
///   - now: The `--now` option: `nil`, `emulator`, or a local date or time.
///   - zone: The zone the time is read in.
///   - emulatorURL: The emulator's base URL (`dingtalk.api_url`), asked for its clock with `--now emulator`.
/// - Returns: The clock.
/// - Throws: ``CommandFailure`` for a time that cannot be read, or an emulator that does not answer its clock.
func syncClock(now: String?, zone: ZoneClock, emulatorURL: String) throws -> any SyncClock {
    guard let now else { return SystemSyncClock() }
    if now.trimmingCharacters(in: .whitespaces) == "emulator" {
        do {
            return try EmulatorSyncClock(baseURL: emulatorURL)
        } catch {
            throw CommandFailure(error.description)
        }
    }
    return ShiftedSyncClock(startingAt: try parseTime(now, option: "--now", zone: zone))
}

func parseTime(_ text: String, option: String, zone: ZoneClock) throws -> Int64 {
    guard let seconds = zone.parseLocal(text.trimmingCharacters(in: .whitespaces)) else {
        throw CommandFailure(
            "\(option) '\(text)' is not a date or time; use YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS] (in \(zone.identifier))"
        )
    }
    return seconds * 1000
}

/// Runs async work from a synchronous command and waits for it (the root command is synchronous).
/// - Parameter body: The work.
/// - Returns: What the work returned.
/// - Throws: What the work threw.
func waitFor<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) throws -> Value {
    let outcome = OutcomeBox<Value>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            outcome.set(.success(try await body()))
        } catch {
            outcome.set(.failure(error))
        }
        done.signal()
    }
    done.wait()
    return try outcome.get()
}

/// Hands a result from a task to the waiting thread.
private final class OutcomeBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Value, any Error>?

    func set(_ value: Result<Value, any Error>) {
        lock.lock()
        result = value
        lock.unlock()
    }

    func get() throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        return try result!.get()
    }
}

/// A status line on stderr that rewrites itself on a terminal; notices print above it.
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var showing = false

    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Replaces the status line (only on a terminal).
    func show(_ line: String) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
        showing = true
    }

    /// Prints a line on stderr, keeping the status line below it.
    func print(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data(((showing ? "\r\u{1B}[K" : "") + line + "\n").utf8))
        showing = false
    }

    /// Removes the status line.
    func clear() {
        lock.lock()
        defer { lock.unlock() }
        if showing { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        showing = false
    }
}
