import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsSync

/// Makes sure two syncs never overlap: not two scheduled ones in this process, and not a scheduled one with a
/// manual `leanstats sync` (or any other writer) on the same data directory.
///
/// Inside the process a flag guards the gate; across processes the store's writer lock (`leanstats.lock`, an
/// `flock`) does. The gate probes that lock before it starts the job, and a ``SyncError`` with code `.locked` from
/// the job itself (the other process won the race) counts as busy too. A busy gate runs nothing and reports
/// ``ServiceError/Code/busy``, so the scheduler tries again later.
public final class SyncGate: Sendable {
    /// The store the syncs write to.
    public let store: SnapshotStore
    private let running = Locked(false)

    /// Creates a gate for a data directory.
    /// - Parameter store: The store.
    public init(store: SnapshotStore) {
        self.store = store
    }

    /// Runs `body` unless another sync is running.
    /// - Parameter body: The sync.
    /// - Returns: What `body` returned.
    /// - Throws: ``ServiceError`` with code `.busy` when another sync holds the store; else what `body` threw.
    public func exclusive<Value: Sendable>(_ body: () async throws -> Value) async throws -> Value {
        let entered = running.withLock { running -> Bool in
            if running { return false }
            running = true
            return true
        }
        guard entered else {
            throw ServiceError(.busy, "a sync is already running in this process; the job waits for the next check")
        }
        defer { running.withLock { $0 = false } }
        do {
            // Probe the writer lock and let go of it at once: the sync takes it itself.
            _ = try store.lockForWriting("serve probe")
        } catch {
            if error.code == .locked {
                throw ServiceError(.busy, "\(error.message); the scheduled job will try again")
            }
            throw error
        }
        do {
            return try await body()
        } catch let error as SyncError where error.code == .locked {
            throw ServiceError(.busy, "\(error.message); the scheduled job will try again")
        }
    }
}
