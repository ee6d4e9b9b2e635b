import Foundation
import LeanStatsCore
import LeanStatsSnapshot

/// Turns approval events into stored changes: the one idempotent path events take into the store.
///
/// An event that says everything the store needs (a finish or terminate of a stored instance) updates the stored
/// record without an API call; an event about an instance the store does not hold, or whose meaning needs the
/// detail (`delete`, unknown types), costs one detail call (`docs/dingtalk-api-notes.md` §12.3). Every change is
/// journaled and fsync'd by the ``LiveStore`` before ``handle(_:)`` returns, so the Stream listener acknowledges an
/// event only once it is stored. Applying the same event twice stores nothing the second time.
public final class EventIngest: Sendable {
    private let live: LiveStore
    private let api: DingTalkAPI
    private let fetcher: InstanceFetcher
    private let counters = Locked(EventIngestStatistics())
    private let zone: ZoneClock
    private let clock: any SyncClock

    /// Creates the ingest path over an open store.
    /// - Parameters:
    ///   - settings: The sync settings (API family, credentials, hosts).
    ///   - live: The store, open for writing.
    ///   - transport: The HTTP transport for detail calls (``CurlTransport`` in production).
    ///   - clock: The sync clock, for the age of cached contacts and the month pushes count towards.
    ///   - zone: The zone of that month (the store's; Asia/Shanghai when `nil`).
    ///   - warn: Receives one line per contacts problem.
    /// - Throws: ``SyncError`` `.configuration` when the Asia/Shanghai zone is not installed.
    public init(
        settings: SyncSettings,
        live: LiveStore,
        transport: any HTTPTransport,
        clock: any SyncClock = SystemSyncClock(),
        zone: ZoneClock? = nil,
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(SyncError) {
        let beijing: ZoneClock
        do {
            beijing = try ZoneClock(identifier: "Asia/Shanghai")
        } catch {
            throw SyncError(.configuration, "the time zone Asia/Shanghai is not installed; install tzdata")
        }
        let client = DingTalkClient(settings: settings, transport: transport)
        let contacts = ContactsDirectory(
            metadata: live.metadata,
            client: settings.contacts ? client : nil,
            clock: clock,
            warn: warn
        )
        self.live = live
        self.api = settings.api
        self.zone = zone ?? beijing
        self.clock = clock
        self.fetcher = InstanceFetcher(
            client: client,
            api: settings.api,
            beijing: beijing,
            contacts: contacts,
            storeNames: StoreIndex(table: live.table).latestNames()
        )
    }

    /// What the ingest path did so far.
    public var statistics: EventIngestStatistics { counters.withLock { $0 } }

    /// Stores what one event changes, fetching the instance's detail only when the event lacks what the store needs.
    /// - Parameter event: The event.
    /// - Throws: ``SyncError`` when the detail cannot be fetched or the store cannot journal the change; the
    ///   listener then asks DingTalk to deliver the event again.
    ///
    /// Each event also counts towards this month's pushes (`stream.pushes` in the store's metadata, journaled with
    /// the change), which the catch-up policy and `/metrics` read; a detail call counts towards the month's API calls
    /// (`sync.quota`).
    public func handle(_ event: ApprovalEvent) async throws(SyncError) {
        let stored = live.record(event.processInstanceId)
        switch event.effect(on: stored, api: api) {
        case .unchanged:
            try store(nil, calls: 0)
            counters.withLock { $0.unchanged += 1 }
        case .update(let record):
            try store(record, calls: 0)
            counters.withLock { $0.updatedFromEvents += 1 }
        case .fetchDetail:
            switch await fetcher.fetch(event.processInstanceId) {
            case .fetched(let record, _):
                // One detail call (`processinstance/get` or the v1 equivalent).
                try store(record, calls: 1)
                counters.withLock { $0.fetched += 1 }
            case .missing(_, let reason):
                // An unreadable instance: nothing to store; the next catch-up sees it again.
                try store(nil, calls: 1)
                counters.withLock {
                    $0.missing += 1
                    $0.lastProblem = reason
                }
            case .deleted(let id, _):
                // Deleted in DingTalk: removed from the store (if it was there) with the push and the call counted.
                let removed = try store(nil, removing: id, calls: 1)
                counters.withLock { $0.removed += removed ? 1 : 0 }
            case .stopped(_, let error):
                throw error
            }
        }
    }

    /// Journals a record (if any) or the removal of an instance (if any) with this month's push count one higher
    /// and its call count `calls` higher.
    /// - Returns: Whether an instance was removed.
    @discardableResult
    private func store(
        _ record: InstanceRecord?,
        removing removal: String? = nil,
        calls: Int
    ) throws(SyncError)
        -> Bool
    {
        let month = zone.date(at: clock.now() / 1000).monthText
        let metadata = live.metadata
        var pushes = QuotaRecord.decode(metadata, key: QuotaRecord.pushesKey)
        pushes[month, default: 0] += 1
        var updates = [QuotaRecord.pushesKey: QuotaRecord.encode(pushes)]
        if calls > 0 {
            var quota = QuotaRecord.decode(metadata)
            quota[month, default: 0] += calls
            updates[QuotaRecord.metadataKey] = QuotaRecord.encode(quota)
        }
        do {
            if let removal { return try live.remove([removal], metadata: updates) > 0 }
            try live.apply(record.map { [$0] } ?? [], metadata: updates)
            return false
        } catch {
            let what =
                removal.map { "the removal of instance \($0)" } ?? record.map { "instance \($0.instanceId)" }
                ?? "the month's push count"
            throw SyncError(.store, "cannot store \(what): \(error)")
        }
    }
}

/// What ``EventIngest`` did with the events it was given.
public struct EventIngestStatistics: Sendable, Equatable {
    /// Events that changed nothing stored.
    public var unchanged = 0
    /// Records updated from an event alone, without an API call.
    public var updatedFromEvents = 0
    /// Records stored from a detail call.
    public var fetched = 0
    /// Instances whose detail could not be read (unreadable, or unknown to the legacy API).
    public var missing = 0
    /// Stored instances removed because DingTalk says they were deleted.
    public var removed = 0
    /// The last such problem, for the log.
    public var lastProblem: String?

    /// Creates empty statistics.
    public init() {}
}
