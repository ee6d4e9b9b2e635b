import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

@testable import LeanStatsServer

/// The dashboard's store follows a writer in another process through its journal.
@Suite struct JournalFollowingTests {
    @Test(arguments: [false, true])
    func aServedStoreShowsAJournaledChangeWithinOneSecond(startsFromSnapshot: Bool) throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-follow")
        defer { directory.remove() }
        let records = randomInstances(count: 50, seed: 21)
        if startsFromSnapshot {
            var builder = InstanceTableBuilder()
            for record in records { builder.upsert(record) }
            try SnapshotStore(directory: directory.path).write(builder.build())
        }
        let live = try LiveStore(directory: directory.path, purpose: "listen", policy: .init(compactOnClose: false))
        if !startsFromSnapshot { try live.apply(records) }
        let source = SnapshotSource(
            directory: directory.path,
            clock: try ZoneClock(identifier: "Asia/Shanghai"),
            interval: ServerConfiguration.defaultReloadInterval
        )
        source.startWatching()
        defer { source.stopWatching() }
        #expect(source.current()?.engine.table.rowCount == 50)

        var change = records[7]
        change.status = .completed
        change.result = .agree
        change.finishTime = change.createTime + 3600
        let fresh = InstanceRecord(instanceId: "new-one", createTime: records[0].createTime, status: .running)
        let started = Date()
        try live.apply([change, fresh])
        var seen = false
        while Date().timeIntervalSince(started) < 5 {
            if let table = source.current()?.engine.table, table.rowCount == 51 {
                let row = (0..<table.rowCount).first { table.instanceId[$0] == change.instanceId }!
                seen = table.status[row] == InstanceStatus.completed.rawValue
                if seen { break }
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(seen)
        #expect(elapsed < 1, "the change took \(elapsed) s to be served")
        try live.close()
    }
}
