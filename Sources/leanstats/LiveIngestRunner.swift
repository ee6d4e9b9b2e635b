import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsSync

/// Stream events into the store plus budgeted catch-up syncs, as `leanstats listen` runs them in the foreground and
/// `leanstats serve` with `sync.stream = true` runs them beside the dashboard.
///
/// Holds the store open for writing (its lock) until ``stop()``: every change goes through one ``LiveStore``, so
/// events and catch-ups meet in one idempotent path (`docs/journal-format.md`).
final class LiveIngestRunner: Sendable {
    private let live: LiveStore
    private let listener: StreamListener
    private let ingest: EventIngest
    private let listening: Task<Void, any Error>
    private let catchingUp: Task<Void, any Error>
    private let failure = Locked<String?>(nil)

    /// Opens the store and starts listening (and catching up unless `catchUp` is false).
    /// - Parameters:
    ///   - settings: The sync settings with DingTalk credentials.
    ///   - directory: The store directory.
    ///   - zone: The zone of days and months.
    ///   - clock: The sync clock.
    ///   - catchUp: Whether to run catch-up syncs (at start unless the last sync finished less than one interval
    ///     ago, then as ``CatchUpPolicy`` allows).
    ///   - catchUpEverySeconds: Real seconds between catch-ups instead of the policy's interval (`--catch-up-every`),
    ///     for an emulated plant that runs faster than real time; catch-ups the policy pauses stay paused.
    ///   - log: Receives one line per event worth logging.
    ///   - failed: Called once when the listener gives up (credentials, permission, settings).
    /// - Throws: ``CommandFailure`` when the store cannot be opened for writing.
    init(
        settings: SyncSettings,
        directory: String,
        zone: ZoneClock,
        clock: any SyncClock,
        catchUp: Bool,
        catchUpEverySeconds: Double? = nil,
        log: @escaping @Sendable (String) -> Void,
        failed: @escaping @Sendable () -> Void
    ) throws {
        let live: LiveStore
        do {
            live = try LiveStore(directory: directory, purpose: "listen") { log("warning: \($0)") }
        } catch {
            throw CommandFailure("cannot listen: \(error)")
        }
        let transport = CurlTransport(
            timeoutSeconds: settings.timeoutSeconds,
            maximumResponseBytes: settings.maxResponseBytes
        )
        let ingest: EventIngest
        do {
            ingest = try EventIngest(
                settings: settings,
                live: live,
                transport: transport,
                clock: clock,
                zone: zone
            ) { log($0) }
        } catch {
            try? live.close()
            throw CommandFailure("\(error)")
        }
        let listener = StreamListener(
            configuration: StreamConfiguration(settings: settings),
            transport: transport,
            status: { log("stream: \($0)") },
            handler: { event in
                try await ingest.handle(event)
                log("event \(event.type) \(event.processInstanceId) stored")
            }
        )
        let engine = SyncEngine(settings: settings, directory: directory, zone: zone, clock: clock) { event in
            if case .notice(let line) = event { log(line) }
        }
        self.live = live
        self.ingest = ingest
        self.listener = listener
        let failure = failure
        listening = Task(executorPreference: DedicatedExecutor.stream) {
            do {
                try await listener.run()
            } catch {
                failure.withLock { $0 = "\(error)" }
                failed()
            }
        }
        catchingUp = Task {
            guard catchUp else { return }
            // A restart does not repeat a catch-up (or sync) that finished less than one interval ago: the gateway
            // delivers again what was not acknowledged, and a server restarted in a loop must not spend the
            // month's calls on catch-ups.
            var last = SyncRunRecord.decode(from: live.metadata).map(\.finishedAt)
            if let finished = last, let due = engine.catchUpDecision(on: live).nextCatchUp(after: finished),
                clock.now() < due
            {
                log("catch-up: the last sync finished less than one interval ago; the next one is due then")
            } else {
                last = nil
            }
            var lastReal: ContinuousClock.Instant? = last == nil ? nil : ContinuousClock.now
            var pausedReason: String?
            while !Task.isCancelled {
                let decision = engine.catchUpDecision(on: live)
                let due = last == nil ? clock.now() : last.flatMap { decision.nextCatchUp(after: $0) }
                let isDue: Bool
                if let every = catchUpEverySeconds, let lastReal, due != nil {
                    isDue = ContinuousClock.now - lastReal >= .seconds(every)
                } else {
                    isDue = due.map { clock.now() >= $0 } ?? false
                }
                if isDue {
                    do {
                        let summary = try await engine.run(.catchUp, on: live)
                        log("catch-up: \(summary.line)")
                    } catch {
                        if Task.isCancelled {
                            log(
                                "catch-up stopped with the listener; what it fetched is saved and the next one "
                                    + "continues from there"
                            )
                            return
                        }
                        log("catch-up failed (the next one repairs what this one missed): \(error)")
                    }
                    last = clock.now()
                    lastReal = ContinuousClock.now
                } else if due == nil, pausedReason != decision.reason {
                    log("catch-up paused: \(decision.reason)")
                    pausedReason = decision.reason
                }
                try await Task.sleep(for: .seconds(catchUpEverySeconds.map { min(60, max(0.05, $0 / 4)) } ?? 60))
            }
        }
    }

    /// Why the listener gave up, `nil` while it runs or after a clean stop.
    var failureMessage: String? { failure.withLock { $0 } }

    /// Stops listening and catching up, then closes the store (compacting its journal).
    /// - Returns: One line on what was done.
    /// - Throws: ``CommandFailure`` when the store cannot be closed; the changes stay in the journal.
    func stop() throws -> String {
        listening.cancel()
        catchingUp.cancel()
        _ = try? waitFor { [catchingUp, listening] in
            _ = await catchingUp.result
            _ = await listening.result
        }
        do {
            try live.close()
        } catch {
            throw CommandFailure("the changes are journaled, but closing the store failed: \(error)")
        }
        let statistics = listener.statistics
        let stored = ingest.statistics
        return "\(statistics.eventsDelivered) events (\(statistics.duplicatesDropped) duplicates dropped, "
            + "\(statistics.reconnects) reconnects); \(stored.updatedFromEvents) updated without a call, "
            + "\(stored.fetched) fetched"
    }
}
