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

    /// Creates the ingest path over an open store.
    /// - Parameters:
    ///   - settings: The sync settings (API family, credentials, hosts).
    ///   - live: The store, open for writing.
    ///   - transport: The HTTP transport for detail calls (``CurlTransport`` in production).
    ///   - clock: The sync clock, for the age of cached contacts.
    ///   - warn: Receives one line per contacts problem.
    /// - Throws: ``SyncError`` `.configuration` when the Asia/Shanghai zone is not installed.
    public init(
        settings: SyncSettings,
        live: LiveStore,
        transport: any HTTPTransport,
        clock: any SyncClock = SystemSyncClock(),
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
    public func handle(_ event: ApprovalEvent) async throws(SyncError) {
        let stored = storedRecord(event.processInstanceId, createdAt: event.createTime)
        switch event.effect(on: stored, api: api) {
        case .unchanged:
            counters.withLock { $0.unchanged += 1 }
        case .update(let record):
            try store(record)
            counters.withLock { $0.updatedFromEvents += 1 }
        case .fetchDetail:
            switch await fetcher.fetch(event.processInstanceId) {
            case .fetched(let record, _):
                try store(record)
                counters.withLock { $0.fetched += 1 }
            case .missing(_, let reason):
                // A deleted or unreadable instance: nothing to store; the next catch-up sees it again.
                counters.withLock {
                    $0.missing += 1
                    $0.lastProblem = reason
                }
            case .stopped(_, let error):
                throw error
            }
        }
    }

    private func store(_ record: InstanceRecord) throws(SyncError) {
        do {
            try live.apply([record])
        } catch {
            throw SyncError(.store, "cannot store instance \(record.instanceId): \(error)")
        }
    }

    /// The stored record of an instance, found by binary search on its creation time when the event gives it.
    /// - Complexity: O(log n + rows created within a day of it); O(n) for an event without a creation time.
    private func storedRecord(_ id: String, createdAt milliseconds: Int64?) -> InstanceRecord? {
        let table = live.table
        let index = StoreIndex(table: table)
        // A day either side covers a creation time cut to the minute or read in another zone.
        let day: Int64 = 86_400_000
        let rows = milliseconds.map { index.rows(from: $0 - day, through: $0 + day) } ?? 0..<table.rowCount
        let ids = table.instanceId
        for row in rows where ids[row] == id { return table.record(at: row) }
        return nil
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
    /// Instances whose detail could not be read (deleted, unreadable).
    public var missing = 0
    /// The last such problem, for the log.
    public var lastProblem: String?

    /// Creates empty statistics.
    public init() {}
}
