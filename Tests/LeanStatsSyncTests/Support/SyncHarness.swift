import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSnapshot
import LeanStatsTestSupport

@testable import LeanStatsSync

/// An emulator on loopback plus everything a test needs to sync from it quickly.
struct SyncHarness {
    let emulator: DingTalkEmulator
    let server: EmulatorServer
    let directory: TemporaryDirectory

    /// The bundled sample, read once.
    static let sample: [InstanceRecord] = {
        (try? EmulatorDataset.sample(directory: LeanStats.repositoryRoot + "/Data").instances) ?? []
    }()

    /// The newest `count` instances of the sample.
    static func newest(_ count: Int) -> [InstanceRecord] {
        Array(sample.sorted { ($0.createTime, $0.instanceId) < ($1.createTime, $1.instanceId) }.suffix(count))
    }

    /// Starts an emulator serving `records`.
    init(records: [InstanceRecord], options: EmulatorOptions = SyncHarness.fastEmulator()) throws {
        emulator = try DingTalkEmulator(dataset: EmulatorDataset(instances: records), options: options)
        server = try EmulatorServer(emulator: emulator)
        directory = try TemporaryDirectory(prefix: "leanstats-sync")
    }

    /// Emulator options for fast tests: a high QPS limit, no faults.
    static func fastEmulator(qps: Int = 400) -> EmulatorOptions {
        var options = EmulatorOptions()
        options.qps = qps
        return options
    }

    /// Stops the server and removes the directory.
    func tearDown() {
        server.stop()
        directory.remove()
    }

    /// Settings pointing at the emulator, with short backoffs.
    func settings(api: DingTalkAPI, qps: Int = 300) -> SyncSettings {
        var settings = SyncSettings()
        settings.api = api
        settings.apiURL = server.baseURL
        settings.oapiURL = server.baseURL
        settings.appKey = emulator.options.appKey
        settings.appSecret = emulator.options.appSecret
        settings.processCodes = [emulator.options.processCode]
        settings.qps = qps
        settings.timeoutSeconds = 5
        settings.retries = 8
        settings.concurrency = 6
        settings.batchSize = 40
        settings.backoffMilliseconds = 5
        settings.backoffMaxMilliseconds = 40
        return settings
    }

    /// The store path for a name inside the harness directory.
    func store(_ name: String = "store") -> String { directory.file(name) }

    /// An engine on the emulator's clock.
    func engine(
        _ settings: SyncSettings,
        store: String? = nil,
        events: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    )
        throws -> SyncEngine
    {
        SyncEngine(
            settings: settings,
            directory: store ?? self.store(),
            zone: try ZoneClock(identifier: "Asia/Shanghai"),
            clock: ShiftedSyncClock(startingAt: emulator.clock.now()),
            events: events
        )
    }

    /// The emulator's instances as a sync through `api` should store them: v1.0 finish times have minute
    /// precision and v1.0 knows only RUNNING, COMPLETED and TERMINATED.
    func expected(api: DingTalkAPI) -> [InstanceRecord] {
        emulator.instances.map { SyncHarness.normalized($0, api: api) }.sorted { $0.instanceId < $1.instanceId }
    }

    /// A record in comparable form.
    static func normalized(_ record: InstanceRecord, api: DingTalkAPI?) -> InstanceRecord {
        var record = record
        record.formFields.sort { $0.name < $1.name }
        if api == .v1 {
            record.finishTime = record.finishTime.map { $0 - (($0 % 60) + 60) % 60 }
            switch record.status {
            case .new: record.status = .running
            case .canceled: record.status = .terminated
            default: break
            }
        }
        return record
    }

    /// The records of a store, sorted by id.
    static func stored(_ directory: String) throws -> [InstanceRecord] {
        guard let table = try SnapshotStore(directory: directory).loadLatest()?.table else { return [] }
        return (0..<table.rowCount).map { normalized(table.record(at: $0), api: nil) }.sorted {
            $0.instanceId < $1.instanceId
        }
    }

    /// The metadata of a store's newest snapshot.
    static func metadata(_ directory: String) throws -> [String: String] {
        try SnapshotStore(directory: directory).loadLatest()?.metadata ?? [:]
    }
}

/// Collects a sync's events for assertions.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func record(_ event: SyncEvent) {
        guard case .notice(let line) = event else { return }
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var notices: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}
