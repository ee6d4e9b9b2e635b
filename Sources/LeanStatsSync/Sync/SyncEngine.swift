import Foundation
import LeanStatsCore
import LeanStatsSnapshot

/// Pulls approval instances from DingTalk into a LeanStats store: resumable, quota-aware and gentle.
///
/// A sync plans its work as windows of at most 120 days (newest first) plus the store's open (NEW/RUNNING)
/// instances, because the list APIs filter on creation time and would never show an old instance's new status.
/// It lists the newest window first (which also proves the credentials and process codes before anything is
/// written), then re-fetches the open instances, then works through the windows. Fetched instances are appended in
/// batches to the store's journal (``LiveStore``, docs/journal-format.md), together with the plan and its progress
/// (`sync.state`), the month's call count (`sync.quota`) and the contacts cache, so a sync killed at any point
/// resumes where its last batch ended, losing and duplicating nothing; the run's journal is compacted into a new
/// snapshot generation when it ends. The store's writer lock keeps two syncs apart.
public struct SyncEngine: Sendable {
    /// The DingTalk settings.
    public let settings: SyncSettings
    /// The data directory.
    public let store: SnapshotStore
    /// The zone whose calendar months the budget counts.
    public let zone: ZoneClock
    /// The sync's clock.
    public let clock: any SyncClock
    private let transport: (any HTTPTransport)?
    private let events: @Sendable (SyncEvent) -> Void

    /// Creates an engine.
    /// - Parameters:
    ///   - settings: The DingTalk settings.
    ///   - directory: The data directory.
    ///   - zone: The zone whose calendar months the budget counts (the store's `--tz`).
    ///   - clock: What "now" is (the real clock unless testing or talking to the emulator).
    ///   - transport: The HTTP transport; libcurl when `nil`.
    ///   - events: Receives progress and notices.
    public init(
        settings: SyncSettings,
        directory: String,
        zone: ZoneClock,
        clock: any SyncClock = SystemSyncClock(),
        transport: (any HTTPTransport)? = nil,
        events: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) {
        self.settings = settings
        self.store = SnapshotStore(directory: directory)
        self.zone = zone
        self.clock = clock
        self.transport = transport
        self.events = events
    }

    /// Runs a sync.
    /// - Parameter mode: What to list.
    /// - Returns: What the sync did; ``SyncSummary/stop`` is set when the budget or DingTalk's quota ended it early
    ///   (progress is saved; the next sync continues).
    /// - Throws: ``SyncError`` for bad settings, credentials, permissions or process codes, an unreachable or failing
    ///   server, or a store problem. Progress made before the error is saved.
    public func run(_ mode: SyncMode) async throws(SyncError) -> SyncSummary {
        try settings.validate()
        let live: LiveStore
        do {
            live = try LiveStore(directory: store.directory, purpose: "sync") { [events] warning in
                events(.notice(warning))
            }
        } catch {
            throw SyncError(
                error.code == .locked ? .locked : .store,
                error.code == .locked ? "cannot sync: \(error.message)" : "cannot read the store: \(error)"
            )
        }
        return try await run(mode, on: live, closing: true)
    }

    /// Runs a sync into a store another part of the process holds open, e.g. the catch-up of `leanstats listen`
    /// while its Stream events go into the same ``LiveStore``. The store stays open.
    /// - Parameters:
    ///   - mode: What to list.
    ///   - live: The open store; its directory must be this engine's.
    /// - Returns: What the sync did.
    /// - Throws: ``SyncError`` as ``run(_:)``.
    public func run(_ mode: SyncMode, on live: LiveStore) async throws(SyncError) -> SyncSummary {
        try settings.validate()
        return try await run(mode, on: live, closing: false)
    }

    private func run(_ mode: SyncMode, on live: LiveStore, closing: Bool) async throws(SyncError) -> SyncSummary {
        let started = ContinuousClock.now
        let metadata = live.metadata
        let table = live.table
        var state = try SyncState(metadata: metadata)
        let index = StoreIndex(table: table)
        let (run, resumed) = try plan(mode, state: state, index: index)
        state.run = run
        let ledger = QuotaLedger(counts: QuotaRecord.decode(metadata), budget: settings.monthlyCallBudget) {
            [zone, clock] in zone.date(at: clock.now() / 1000).monthText
        }
        let estimate = estimate(run, resumed: resumed, index: index, usage: await ledger.usage())
        if estimate.exceedsBudget {
            events(
                .notice(
                    "leanstats: this sync needs about \(estimate.calls) API calls but only \(estimate.left) of the "
                        + "\(estimate.budget) in sync.monthly_call_budget are left in \(estimate.month); it fetches "
                        + "the open instances and the newest window first and stops at the budget (the next sync "
                        + "continues)"
                )
            )
        }
        let transport =
            self.transport
            ?? CurlTransport(
                timeoutSeconds: settings.timeoutSeconds,
                maximumResponseBytes: settings.maxResponseBytes
            )
        let client = DingTalkClient(settings: settings, transport: transport, quota: ledger)
        let events = self.events
        let contacts = ContactsDirectory(
            metadata: metadata,
            client: settings.contacts ? client : nil,
            clock: clock
        ) { events(.notice($0)) }
        let beijing: ZoneClock
        do {
            beijing = try ZoneClock(identifier: "Asia/Shanghai")
        } catch {
            throw SyncError(.configuration, "the time zone Asia/Shanghai is not installed; install tzdata")
        }
        let session = SyncSession(
            settings: settings,
            live: live,
            clock: clock,
            table: table,
            metadata: metadata,
            state: state,
            client: client,
            ledger: ledger,
            contacts: contacts,
            fetcher: InstanceFetcher(
                client: client,
                api: settings.api,
                beijing: beijing,
                contacts: contacts,
                storeNames: index.latestNames()
            ),
            events: events
        )
        var summary: SyncSummary
        do {
            summary = try await session.execute()
        } catch {
            if closing { try? live.close() }
            throw error
        }
        // The run's journal becomes the next snapshot generation (compaction on close).
        do {
            if closing { try live.close() }
        } catch {
            events(.notice("leanstats: the synced instances are saved in the journal, but \(error)"))
        }
        summary.resumed = resumed
        let elapsed = (ContinuousClock.now - started).components
        summary.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return summary
    }

    /// Estimates what a sync would cost, without calling DingTalk or changing the store (`sync --dry-run`).
    /// - Parameter mode: What to list.
    /// - Returns: The estimate.
    /// - Throws: ``SyncError`` for a store problem or a `--since` date out of reach.
    public func estimate(_ mode: SyncMode) throws(SyncError) -> SyncEstimate {
        let loaded = try load()
        let metadata = loaded?.metadata ?? [:]
        let index = StoreIndex(table: loaded?.table ?? .empty)
        let state = try SyncState(metadata: metadata)
        let (run, resumed) = try plan(mode, state: state, index: index)
        let counts = QuotaRecord.decode(metadata)
        let month = zone.date(at: clock.now() / 1000).monthText
        return estimate(
            run,
            resumed: resumed,
            index: index,
            usage: (month, counts[month] ?? 0, settings.monthlyCallBudget)
        )
    }

    /// Projects the monthly calls of a sync cadence from the store's observed rates (`sync --plan`, `doctor`),
    /// without calling DingTalk or changing the store.
    /// - Parameter cadence: How often incremental and full syncs run.
    /// - Returns: The plan against `sync.monthly_call_budget` and `sync.monthly_push_budget`.
    /// - Throws: ``SyncError`` with code `.store` when the store cannot be read.
    public func quotaPlan(_ cadence: SyncCadence) throws(SyncError) -> QuotaPlan {
        let table = try load()?.table ?? .empty
        return QuotaPlanner.plan(
            rates: QuotaPlanner.rates(of: table, zone: zone),
            cadence: cadence,
            processCodes: max(1, settings.processCodes.count),
            callBudget: settings.monthlyCallBudget,
            pushBudget: settings.monthlyPushBudget
        )
    }

    /// Projects the monthly calls and pushes of Stream events plus a catch-up every `sync.catch_up_hours`, from the
    /// store's observed rates (`sync --plan`, `doctor`), without calling DingTalk or changing the store.
    /// - Returns: The plan against `sync.monthly_call_budget` and `sync.monthly_push_budget`.
    /// - Throws: ``SyncError`` with code `.store` when the store cannot be read.
    public func eventPlan() throws(SyncError) -> EventQuotaPlan {
        let table = try load()?.table ?? .empty
        return QuotaPlanner.eventPlan(
            rates: QuotaPlanner.rates(of: table, zone: zone),
            catchUpHours: settings.catchUpHours,
            processCodes: max(1, settings.processCodes.count),
            callBudget: settings.monthlyCallBudget,
            pushBudget: settings.monthlyPushBudget
        )
    }

    /// Decides how often catch-ups may run for the rest of this month (``CatchUpPolicy``), from the calls and pushes
    /// the store counted this month (`sync.quota`, `stream.pushes`) and its observed rates; changes nothing.
    /// - Returns: The decision and its reason.
    /// - Throws: ``SyncError`` with code `.store` when the store cannot be read.
    public func catchUpDecision() throws(SyncError) -> CatchUpDecision {
        let loaded = try load()
        return catchUpDecision(table: loaded?.table ?? .empty, metadata: loaded?.metadata ?? [:])
    }

    /// ``catchUpDecision()`` for a store open for writing, from its table and metadata in memory.
    /// - Parameter live: The store.
    /// - Returns: The decision and its reason.
    public func catchUpDecision(on live: LiveStore) -> CatchUpDecision {
        catchUpDecision(table: live.table, metadata: live.metadata)
    }

    private func catchUpDecision(table: InstanceTable, metadata: [String: String]) -> CatchUpDecision {
        let seconds = clock.now() / 1000
        let today = zone.date(at: seconds)
        let first = CivilDate(year: today.year, month: today.month, day: 1)
        let next = CivilDate(year: today.year + today.month / 12, month: today.month % 12 + 1, day: 1)
        let start = zone.startOfDay(first.dayNumber)
        let usage = QuotaUsage(
            callsUsed: QuotaRecord.decode(metadata)[today.monthText] ?? 0,
            pushesUsed: QuotaRecord.decode(metadata, key: QuotaRecord.pushesKey)[today.monthText] ?? 0,
            elapsedDays: Double(seconds - start) / 86_400,
            daysInMonth: Double(zone.startOfDay(next.dayNumber) - start) / 86_400
        )
        return CatchUpPolicy(settings: settings).decide(usage, rates: QuotaPlanner.rates(of: table, zone: zone))
    }

    // MARK: - Planning

    private func load() throws(SyncError) -> LoadedSnapshot? {
        do {
            return try store.loadLatest { [events] warning in events(.notice(warning)) }
        } catch {
            throw SyncError(.store, "cannot read the store: \(error)")
        }
    }

    /// The run to do: the unfinished one when it matches the mode, else a new plan.
    private func plan(
        _ mode: SyncMode,
        state: SyncState,
        index: StoreIndex
    ) throws(SyncError) -> (run: SyncRun, resumed: Bool) {
        let now = clock.now()
        if let unfinished = state.run {
            let matches: Bool
            switch mode {
            case .incremental: matches = true
            case .catchUp: matches = unfinished.mode == "incremental" || unfinished.mode == SyncMode.catchUp.name
            case .full: matches = unfinished.mode == "full"
            case .since(let from): matches = unfinished.mode == "since" && unfinished.from == from
            }
            if matches {
                var run = unfinished
                let codes = Set(settings.processCodes)
                run.windows.removeAll { !codes.contains($0.processCode) }
                return (run, true)
            }
            events(
                .notice(
                    "leanstats: starting a \(mode.name) sync instead of continuing the unfinished \(unfinished.mode) "
                        + "sync"
                )
            )
        }
        let oldest = SyncPlanner.oldestStart(now: now)
        let from: Int64
        switch mode {
        case .full:
            from = oldest
        case .since(let since):
            guard since <= now else {
                throw SyncError(.configuration, "--since \(describe(since)) is in the future; give a past date")
            }
            guard since >= oldest else {
                throw SyncError(
                    .configuration,
                    "--since \(describe(since)) is more than 365 days back; DingTalk lists only instances created "
                        + "since \(describe(oldest)), use a later date"
                )
            }
            from = since
        case .incremental, .catchUp:
            if let cursor = state.cursor {
                if cursor - SyncPlanner.overlap < oldest {
                    events(
                        .notice(
                            "leanstats: the last sync listed up to \(describe(cursor)), more than 365 days ago; "
                                + "instances created before \(describe(oldest)) can no longer be listed"
                        )
                    )
                }
                from = max(oldest, cursor - SyncPlanner.overlap)
            } else {
                from = oldest
            }
        }
        let open = index.openInstances()
        var run = SyncRun(
            mode: mode.name,
            from: from,
            now: now,
            startedAt: now,
            refetchKnown: mode != .incremental && mode != .catchUp,
            open: open.map(\.id),
            windows: SyncPlanner.windows(from: from, to: now, processCodes: settings.processCodes)
        )
        if mode == .catchUp {
            if settings.api == .v1 {
                run.runningWindows =
                    SyncPlanner.runningWindows(
                        openCreateTimes: open.map(\.createTime),
                        now: now,
                        processCodes: settings.processCodes
                    ).windows
            } else if !open.isEmpty {
                events(
                    .notice(
                        "leanstats: the legacy API cannot list by status, so this catch-up re-fetches all "
                            + "\(open.count) open instances (dingtalk.api = \"v1\" lists the RUNNING ones instead)"
                    )
                )
            }
        }
        return (run, false)
    }

    /// Estimates a run's quota-bearing calls from the store's history.
    private func estimate(
        _ run: SyncRun,
        resumed: Bool,
        index: StoreIndex,
        usage: (month: String, used: Int, budget: Int)
    ) -> SyncEstimate {
        let mode: SyncMode =
            switch run.mode {
            case SyncMode.full.name: .full
            case SyncMode.since(0).name: .since(run.from)
            case SyncMode.catchUp.name: .catchUp
            default: .incremental
            }
        var estimate = SyncEstimate(mode: mode)
        estimate.resuming = resumed
        estimate.from = run.from
        estimate.to = run.now
        estimate.windows = run.windows.count
        estimate.openInstances = run.open.count
        estimate.month = usage.month
        estimate.used = usage.used
        estimate.budget = usage.budget
        // Instances per millisecond over the 90 days before the newest stored instance; a window is expected to list
        // what the store already holds for it plus that rate over the part the store has not seen. The store does
        // not record process codes, so with several codes its rows are shared out evenly.
        var rate: Double?
        if let newest = index.newest {
            let span = 90 * SyncPlanner.day
            rate = Double(index.rows(from: newest - span, through: newest).count) / Double(span)
        }
        let seenUntil = index.newest ?? Int64.min
        let codes = max(1, Set(run.windows.map(\.processCode)).count)
        var calls = run.open.count
        if let windows = run.runningWindows {
            // Open instances inside the RUNNING windows are fetched only when the listing shows them changed;
            // those out of reach are re-fetched. The store does not record process codes: rows are shared out.
            let codes = max(1, Set(windows.map(\.processCode)).count)
            let open = index.openInstances()
            var covered = Set<String>()
            var pages = 0
            for window in windows {
                let inside = open.filter { $0.createTime >= window.start && $0.createTime <= window.end }
                covered.formUnion(inside.map(\.id))
                pages += max(1, (inside.count / codes + DingTalkWire.pageSize - 1) / DingTalkWire.pageSize)
            }
            estimate.openInstances = run.open.filter { !covered.contains($0) }.count
            estimate.runningPages = pages
            calls = estimate.openInstances + pages
        }
        var listed = 0
        var details = 0
        for window in run.windows {
            if window.listed {
                estimate.listedPending += window.pending.count
                calls += window.pending.count
                continue
            }
            let rows = index.rows(from: window.start, through: window.end)
            let unseenStart = max(window.start, seenUntil &+ 1)
            let unseen = unseenStart <= window.end ? Double(window.end - unseenStart) : 0
            let new = Int(((rate ?? 0) * unseen / Double(codes)).rounded(.up))
            let stored = rows.count / codes
            let open =
                rows.filter { row in
                    let status = InstanceStatus(rawValue: index.table.status[row])
                    return status == .new || status == .running
                }.count / codes
            // Open instances are fetched once, before the windows; incremental runs skip finished known ones.
            let windowDetails = (run.refetchKnown ? max(0, stored - open) : 0) + new
            let pages = max(1, (stored + new + DingTalkWire.pageSize - 1) / DingTalkWire.pageSize)
            listed += stored + new
            details += windowDetails
            calls += pages + windowDetails
        }
        if rate != nil {
            estimate.expectedListed = listed
            estimate.expectedDetails = details
        }
        estimate.calls = calls
        return estimate
    }

    /// A time for messages: `2025-12-01 00:00` in the store's zone.
    /// - Parameter milliseconds: Epoch milliseconds.
    /// - Returns: The local time to the minute.
    public func describe(_ milliseconds: Int64) -> String {
        String(zone.format(milliseconds / 1000).prefix(16))
    }
}
