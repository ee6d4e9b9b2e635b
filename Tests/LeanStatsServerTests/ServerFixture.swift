import Foundation
import LeanStatsCore
import LeanStatsImport
import LeanStatsQuery
import LeanStatsServer
import LeanStatsSnapshot
import LeanStatsTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A store built from the bundled sample (plus one instance with hostile text) and a running server over it.
final class ServerFixture: @unchecked Sendable {
    static let clock = try! ZoneClock(identifier: "Asia/Shanghai")
    static let token = "test-token-0123456789"
    /// A department name that would run as script if it were not escaped.
    static let hostileDept = "<script>alert('x')</script>部"

    let directory: TemporaryDirectory
    let server: DashboardServer
    let port: UInt16

    /// The sample records plus the hostile one.
    static let records: [InstanceRecord] = {
        let root = LeanStats.repositoryRoot + "/Data/"
        let batch = try! ImportReader(clock: clock).read(paths: [
            root + MySQLExport.instancesFile, root + MySQLExport.formValuesFile,
        ])
        let create = clock.parseLocal("2025-11-20 10:00:00")!
        let hostile = InstanceRecord(
            instanceId: "HOSTILE-1",
            businessId: "<b>1</b>",
            title: "<img src=x onerror=alert(1)>",
            createTime: create,
            finishTime: nil,
            status: .running,
            result: nil,
            originatorUserId: "hostile",
            originatorUserName: "\"><svg onload=alert(1)>",
            originatorDeptId: "999",
            originatorDeptName: hostileDept,
            formFields: [FormField(name: categoryFieldName, value: "<i>类别</i>")]
        )
        return batch.records + [hostile]
    }()

    /// The table of ``records``.
    static func table(_ records: [InstanceRecord] = records) -> InstanceTable {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return builder.build()
    }

    /// What a finished sync leaves in the snapshot metadata, for the sync gauges of `/metrics`.
    static func syncMetadata() -> [String: String] {
        [
            "sync.state": #"{"lastFinishedAt":1764518400000}"#,
            "sync.last_run":
                #"{"durationSeconds":2.5,"finishedAt":1764518400000,"outcomes":{"/v1.0/workflow/processInstances":{"ok":2400,"throttled":3}}}"#,
            "sync.quota": #"{"\#(CivilDate.today(in: clock).monthText)":1250}"#,
            "stream.pushes": #"{"2025-01":9,"\#(CivilDate.today(in: clock).monthText)":750}"#,
        ]
    }

    /// Writes the store and starts a server on a free port that checks for new snapshots every 50 ms.
    init(
        allowedHosts: [String] = [],
        limits: EdgeLimits = EdgeLimits(),
        sessionLifetime: Double = 3600,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) async throws {
        directory = try TemporaryDirectory(prefix: "leanstats-server")
        try SnapshotStore(directory: directory.path).write(Self.table(), metadata: Self.syncMetadata())
        server = DashboardServer(
            configuration: ServerConfiguration(
                port: 0,
                token: Self.token,
                allowedHosts: allowedHosts,
                dataDirectory: directory.path,
                clock: Self.clock,
                limits: limits,
                sessionLifetime: sessionLifetime,
                reloadInterval: 0.05,
                now: now
            )
        )
        port = try await server.start()
    }

    deinit {
        server.stop()
        directory.remove()
    }

    /// The executor `leanstats query` would build over the same store.
    func executor() throws -> QueryExecutor {
        let loaded = try SnapshotStore(directory: directory.path).loadLatest()!
        return QueryExecutor(
            engine: StatisticsEngine(table: loaded.table, clock: Self.clock),
            headcounts: DepartmentHeadcounts.decode(from: loaded.metadata)
        )
    }

    /// Sends GETs until `condition` holds for the reply or five seconds pass (the store is reloaded in the
    /// background).
    /// - Returns: The last reply.
    func poll(
        _ target: String,
        token: String? = ServerFixture.token,
        until condition: (HTTPReply) -> Bool
    ) throws
        -> HTTPReply
    {
        var reply = try get(target, token: token)
        for _ in 0..<250 where !condition(reply) {
            usleep(20_000)
            reply = try get(target, token: token)
        }
        return reply
    }

    /// Sends one GET over a real socket.
    func get(
        _ target: String,
        token: String? = ServerFixture.token,
        host: String? = nil,
        headers: [String: String] = [:]
    ) throws -> HTTPReply {
        var lines = ["GET \(target) HTTP/1.1", "Host: \(host ?? "127.0.0.1:\(port)")", "Connection: close"]
        if let token { lines.append("Authorization: Bearer \(token)") }
        for (name, value) in headers { lines.append("\(name): \(value)") }
        return try HTTPReply.exchange(port: port, request: lines.joined(separator: "\r\n") + "\r\n\r\n")
    }
}

/// Percent-encodes a query value.
func encoded(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
}

/// Text as the dashboard's HTML escapes it.
func htmlEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        .replacingOccurrences(of: "'", with: "&#39;")
}
