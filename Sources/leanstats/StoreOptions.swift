import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsSnapshot

/// Options every command that touches the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store directory (env LEANSTATS_DATA; default ./leanstats-data).")
    var data: String?

    @Option(name: .long, help: "The time zone that defines days and months (IANA name).")
    var tz: String = "Asia/Shanghai"

    /// The data directory after applying the environment and the default.
    var directory: String {
        data ?? ProcessInfo.processInfo.environment["LEANSTATS_DATA"] ?? "./leanstats-data"
    }

    /// The store.
    var store: SnapshotStore { SnapshotStore(directory: directory) }

    /// The configured zone.
    func clock() throws -> ZoneClock { try ZoneClock(identifier: tz) }

    /// Loads the newest good snapshot, reporting fallbacks on stderr.
    /// - Throws: ``CommandFailure`` when the store is empty and `requireData` is set.
    func load(requireData: Bool = true) throws -> LoadedSnapshot? {
        let loaded = try store.loadLatest { warning in printError(warning) }
        if loaded == nil && requireData {
            throw CommandFailure(
                "no data in \(directory); run `leanstats import FILE...` or `leanstats demo` first, or point --data at a store"
            )
        }
        return loaded
    }

    /// Loads the store and prepares the statistics engine.
    func engine() throws -> StatisticsEngine {
        let loaded = try load()!
        return StatisticsEngine(table: loaded.table, clock: try clock())
    }

    /// Loads the store and prepares a query executor, with department headcounts from the contacts cache.
    /// - Parameter answeringOnce: whether the process answers one query and exits (then no index is built for
    ///   later queries).
    func executor(answeringOnce: Bool = false) throws -> QueryExecutor {
        let loaded = try load()!
        return QueryExecutor(
            engine: StatisticsEngine(
                table: loaded.table,
                clock: try clock(),
                options: answeringOnce ? .oneQuery : .default
            ),
            headcounts: DepartmentHeadcounts.decode(from: loaded.metadata)
        )
    }
}
