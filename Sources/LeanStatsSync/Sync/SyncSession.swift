import LeanStatsCore
import LeanStatsImport
import LeanStatsSnapshot

/// One sync run at work: lists windows, fetches details concurrently, and writes durable batches.
///
/// Only the task running ``execute()`` uses a session; the fetches run as child tasks that touch nothing but the
/// ``InstanceFetcher``.
actor SyncSession {
    private let settings: SyncSettings
    private let live: LiveStore
    private let clock: any SyncClock
    private let index: StoreIndex
    private let client: DingTalkClient
    private let ledger: QuotaLedger
    private let contacts: ContactsDirectory
    private let fetcher: InstanceFetcher
    private let events: @Sendable (SyncEvent) -> Void

    /// Records fetched since the last write, in arrival order.
    private var unsaved: [InstanceRecord] = []
    /// Ids DingTalk says were deleted since the last write, removed from the store with the next one.
    private var unsavedRemovals: [String] = []
    private var metadata: [String: String]
    private var state: SyncState
    private var run: SyncRun
    private var summary = SyncSummary()
    /// When this run started, for the duration kept in ``SyncRunRecord``.
    private let started = ContinuousClock.now
    /// Ids fetched by this process.
    private var fetched = Set<String>()
    /// Ids fetched or given up since the last write, still in the run's pending lists.
    private var completed = Set<String>()
    /// Records applied since the last write.
    private var unsavedRecords = 0
    private var listed = 0
    private var phase = "listing"
    private var remaining = 0
    private var lastReport = ContinuousClock.now - .seconds(1)

    init(
        settings: SyncSettings,
        live: LiveStore,
        clock: any SyncClock,
        table: InstanceTable,
        metadata: [String: String],
        state: SyncState,
        client: DingTalkClient,
        ledger: QuotaLedger,
        contacts: ContactsDirectory,
        fetcher: InstanceFetcher,
        events: @escaping @Sendable (SyncEvent) -> Void
    ) {
        self.settings = settings
        self.live = live
        self.clock = clock
        self.index = StoreIndex(table: table)
        self.client = client
        self.ledger = ledger
        self.contacts = contacts
        self.fetcher = fetcher
        self.events = events
        self.metadata = metadata
        self.state = state
        self.run = state.run!
    }

    /// Does the run: the newest window of each process code, the open instances, then every window.
    /// - Returns: The summary; its ``SyncSummary/stop`` is set when the budget or the quota ended the run.
    /// - Throws: ``SyncError``; fetched instances are saved first.
    func execute() async throws(SyncError) -> SyncSummary {
        do {
            try await listNewestWindows()
            try await checkOpenInstances()
            phase = "open instances"
            try await fetch(run.open)
            try await workThroughWindows()
        } catch  where error.isCleanStop {
            try await save()
            summary.stop = error
            return await finishedSummary()
        } catch  where error.code == .cancelled && Task.isCancelled {
            // Stopped from outside (serve shutting down): commit what was fetched, then say so.
            if unsavedRecords > 0 { try await save() }
            throw interrupted()
        } catch {
            if unsavedRecords > 0 { try? await save() }
            throw error
        }
        state.cursor = run.now
        state.lastFinishedAt = clock.now()
        state.run = nil
        try await save(finished: true)
        if summary.timeMismatches > 0 {
            events(
                .notice(
                    "leanstats: \(summary.timeMismatches) v1.0 details had a createTime that disagrees with the "
                        + "minute in their business id; their times were read as Beijing wall time"
                )
            )
        }
        return await finishedSummary()
    }

    // MARK: - Phases

    /// Lists the newest window of every process code before anything is written: a wrong secret, a missing
    /// permission or an unknown process code stops the sync with the store untouched.
    private func listNewestWindows() async throws(SyncError) {
        for code in settings.processCodes {
            while let position = run.windows.firstIndex(where: { $0.processCode == code }),
                !run.windows[position].listed
            {
                try await list(at: position)
            }
        }
        if run.windows.isEmpty { try await client.authenticate() }
    }

    private func workThroughWindows() async throws(SyncError) {
        while let window = run.windows.first {
            if !window.listed {
                try await list(at: 0)
                continue
            }
            phase = "fetching"
            try await fetch(window.pending)
            completed.formUnion(window.pending)
            run.windows.removeFirst()
        }
    }

    /// Lists one window; when the listing reaches the id cap, splits the window instead.
    private func list(at position: Int) async throws(SyncError) {
        phase = "listing"
        var window = run.windows[position]
        guard let ids = try await listIds(in: window) else {
            run.windows.replaceSubrange(position...position, with: try halves(of: window))
            return
        }
        let skip = run.refetchKnown ? [] : index.finalIds(from: window.start, through: window.end)
        let open = Set(run.open).union(run.stillRunning ?? [])
        var seen = Set<String>()
        window.pending = ids.filter { id in
            seen.insert(id).inserted && !fetched.contains(id) && !open.contains(id) && !skip.contains(id)
        }
        window.listed = true
        run.windows[position] = window
        summary.windows += 1
    }

    /// Every id of a window, following the cursor; `nil` when the listing reached `sync.list_cap`.
    /// - Parameters:
    ///   - window: The process code and creation-time range.
    ///   - statuses: Only instances in these v1.0 statuses; all when empty.
    private func listIds(in window: SyncWindow, statuses: [String] = []) async throws(SyncError) -> [String]? {
        var ids: [String] = []
        var cursor: Int64 = 0
        var loopGuard = ListingGuard(window: window, listCap: settings.listCap, zone: fetcher.beijing)
        while true {
            let page = try await client.listInstanceIds(
                processCode: window.processCode,
                start: window.start,
                end: window.end,
                cursor: cursor,
                statuses: statuses
            )
            try loopGuard.check(page)
            ids += page.ids
            listed += page.ids.count
            await report()
            guard let next = page.nextCursor, ids.count < settings.listCap else { break }
            cursor = next
        }
        guard ids.count < settings.listCap else {
            listed -= ids.count
            return nil
        }
        return ids
    }

    /// The two halves of a window whose listing reached the id cap.
    /// - Throws: ``SyncError`` when the window is already too short to split.
    private func halves(of window: SyncWindow) throws(SyncError) -> [SyncWindow] {
        guard let halves = SyncPlanner.split(window) else {
            throw SyncError(
                .request,
                "more than \(settings.listCap) instances of \(window.processCode) were created within two "
                    + "minutes; DingTalk cannot list them all"
            )
        }
        return halves
    }

    /// Catch-up: lists the ids still RUNNING over the windows that cover the store's open instances, and keeps only
    /// the open instances that are not among them (finished, terminated or deleted since) to fetch
    /// (`docs/quota-planning.md`).
    private func checkOpenInstances() async throws(SyncError) {
        guard var windows = run.runningWindows else { return }
        phase = "running instances"
        var running = Set<String>()
        while let window = windows.first {
            guard let ids = try await listIds(in: window, statuses: ["RUNNING"]) else {
                windows.replaceSubrange(0...0, with: try halves(of: window))
                continue
            }
            running.formUnion(ids)
            windows.removeFirst()
            summary.runningWindows += 1
        }
        let unchanged = run.open.filter { running.contains($0) }
        run.open.removeAll { running.contains($0) }
        run.stillRunning = (run.stillRunning ?? []) + unchanged
        run.runningWindows = nil
        summary.stillRunning += unchanged.count
    }

    /// Fetches details with up to `sync.concurrency` requests in flight, saving every `sync.batch_size` records.
    private func fetch(_ ids: [String]) async throws(SyncError) {
        let wanted = ids.filter { !fetched.contains($0) && !completed.contains($0) }
        guard !wanted.isEmpty else { return }
        remaining = wanted.count
        let fetcher = self.fetcher
        let limit = settings.concurrency
        var stop: SyncError?
        await withTaskGroup(of: InstanceFetcher.Outcome.self) { group in
            var next = 0
            while next < wanted.count && next < limit {
                let id = wanted[next]
                group.addTask { await fetcher.fetch(id) }
                next += 1
            }
            while let outcome = await group.next() {
                remaining -= 1
                switch outcome {
                case .fetched(let record, let verdict):
                    apply(record, verdict: verdict)
                case .missing(let id, let reason):
                    run.failed.append(id)
                    completed.insert(id)
                    summary.failed += 1
                    events(.notice("leanstats: skipped instance \(id): \(reason)"))
                case .deleted(let id, _):
                    completed.insert(id)
                    unsavedRemovals.append(id)
                    unsavedRecords += 1
                case .stopped(_, let error):
                    if stop == nil || stop?.code == .cancelled { stop = error }
                    group.cancelAll()
                }
                if stop == nil && next < wanted.count {
                    let id = wanted[next]
                    group.addTask { await fetcher.fetch(id) }
                    next += 1
                }
                if stop == nil && unsavedRecords >= settings.batchSize {
                    do throws(SyncError) {
                        try await save()
                    } catch {
                        stop = error
                        group.cancelAll()
                    }
                }
                await report()
            }
        }
        if let stop { throw stop }
    }

    private func apply(_ record: InstanceRecord, verdict: InstanceTimeReconciler.Verdict) {
        unsaved.append(record)
        if verdict == .inconsistent { summary.timeMismatches += 1 }
        summary.fetched += 1
        fetched.insert(record.instanceId)
        completed.insert(record.instanceId)
        unsavedRecords += 1
    }

    // MARK: - Saving

    /// Appends the records fetched since the last write and the run's progress to the store's journal as one
    /// durable write (docs/journal-format.md).
    private func save(finished: Bool = false) async throws(SyncError) {
        if !completed.isEmpty {
            run.open.removeAll { completed.contains($0) }
            for position in run.windows.indices {
                run.windows[position].pending.removeAll { completed.contains($0) }
            }
            completed = []
        }
        if !finished { state.run = run }
        if finished {
            let elapsed = (ContinuousClock.now - started).components
            let record = SyncRunRecord(
                finishedAt: clock.now(),
                durationSeconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18,
                outcomes: await client.statistics.outcomes
            )
            metadata[SyncRunRecord.metadataKey] = record.encoded()
        }
        metadata[SyncState.metadataKey] = state.encoded()
        metadata[QuotaRecord.metadataKey] = QuotaRecord.encode(await ledger.snapshot())
        for (key, value) in await contacts.metadata() { metadata[key] = value }
        do {
            if !unsavedRemovals.isEmpty {
                let removed = try live.remove(unsavedRemovals)
                summary.removed += removed
                if removed > 0 {
                    events(
                        .notice("leanstats: removed \(removed) instance\(removed == 1 ? "" : "s") deleted in DingTalk")
                    )
                }
            }
            let counts = try live.apply(unsaved, metadata: metadata)
            summary.inserted += counts.inserted
            summary.updated += counts.updated
            summary.unchanged += counts.unchanged
        } catch {
            throw SyncError(.store, "cannot save the synced instances: \(error)")
        }
        unsaved = []
        unsavedRemovals = []
        unsavedRecords = 0
    }

    /// The error of a sync stopped from outside, after its last batch was committed.
    private func interrupted() -> SyncError {
        guard summary.fetched > 0 else {
            return SyncError(.cancelled, "the sync was interrupted before it fetched any instance; nothing changed")
        }
        let count = "\(summary.fetched) instance\(summary.fetched == 1 ? "" : "s")"
        return SyncError(
            .cancelled,
            "the sync was interrupted and stopped after committing its batch: the \(count) it fetched are saved, "
                + "and the next sync continues from there"
        )
    }

    private func finishedSummary() async -> SyncSummary {
        var result = summary
        let statistics = await client.statistics
        let usage = await ledger.usage()
        result.quotaCalls = await ledger.usedByThisRun
        result.requests = statistics.totalRequests
        result.retries = statistics.retries
        result.month = usage.month
        result.usedThisMonth = usage.used
        result.budget = usage.budget
        return result
    }

    /// Reports progress at most ten times a second.
    private func report() async {
        let now = ContinuousClock.now
        guard now - lastReport >= .milliseconds(100) else { return }
        lastReport = now
        events(
            .progress(
                SyncProgress(
                    phase: phase,
                    window: phase == "open instances" ? 0 : summary.windows,
                    windowCount: summary.windows + run.windows.filter { !$0.listed }.count,
                    listed: listed,
                    fetched: summary.fetched,
                    remaining: remaining,
                    calls: await ledger.usedByThisRun,
                    retries: await client.statistics.retries
                )
            )
        )
    }
}
