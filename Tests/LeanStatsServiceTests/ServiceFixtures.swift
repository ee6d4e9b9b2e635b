import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsTestSupport

/// Stores with data for the service tests.
enum ServiceFixtures {
    /// Writes `count` random instances (2024-01 … 2025-05) into a store at `directory`.
    /// - Parameter metadata: Snapshot metadata, e.g. `sync.quota`.
    static func store(at directory: String, count: Int = 600, metadata: [String: String] = [:]) throws -> SnapshotStore
    {
        var builder = InstanceTableBuilder()
        for record in randomInstances(count: count, seed: 7) { _ = builder.upsert(record) }
        let store = SnapshotStore(directory: directory)
        try store.write(builder.build(), metadata: metadata)
        return store
    }
}
