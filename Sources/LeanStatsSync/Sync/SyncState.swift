import Foundation

/// What the store remembers about syncing, kept in the snapshot's metadata (`sync.state`) and written atomically
/// with the instances it describes.
struct SyncState: Codable, Sendable, Equatable {
    /// The format version.
    var version = 1
    /// Instances created before this time (epoch milliseconds) were listed by a finished sync; the next
    /// incremental sync starts here.
    var cursor: Int64?
    /// When the last sync finished, epoch milliseconds.
    var lastFinishedAt: Int64?
    /// The unfinished run, if a sync stopped (killed, failed, out of budget) before it was done.
    var run: SyncRun?

    /// The metadata key.
    static let metadataKey = "sync.state"

    /// Reads the state from snapshot metadata; a fresh state when there is none.
    /// - Throws: ``SyncError`` when the stored state cannot be read.
    init(metadata: [String: String]) throws(SyncError) {
        guard let text = metadata[Self.metadataKey] else {
            self.init()
            return
        }
        do {
            self = try JSONDecoder().decode(SyncState.self, from: Data(text.utf8))
        } catch {
            throw SyncError(
                .store,
                "the sync state in the store (metadata \(Self.metadataKey)) is unreadable; run `leanstats sync --full` "
                    + "with a fresh --data directory, or report it"
            )
        }
    }

    init() {}

    /// The state as metadata text.
    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// One sync run's plan and progress: the work left, newest first, so that a killed run resumes exactly where its
/// last durable batch left it.
struct SyncRun: Codable, Sendable, Equatable {
    /// `incremental`, `catch-up`, `full` or `since`.
    var mode: String
    /// The oldest creation time the run lists, epoch milliseconds.
    var from: Int64
    /// The run's "now": windows end here, and it becomes the cursor when the run finishes.
    var now: Int64
    /// When the run started, epoch milliseconds.
    var startedAt: Int64
    /// Whether instances already in the store with a final status are fetched again (full and since runs).
    var refetchKnown: Bool
    /// Open (NEW/RUNNING) instances of the store still to re-fetch.
    var open: [String]
    /// Windows still to list or fetch, newest first.
    var windows: [SyncWindow]
    /// Ids whose detail could not be read (deleted instances, unreadable details).
    var failed: [String] = []
    /// Catch-up only: the windows to list with status RUNNING before the open instances are fetched; `nil` once
    /// listed (then ``open`` holds only the open instances that are no longer RUNNING) and for other modes.
    var runningWindows: [SyncWindow]?
    /// Catch-up only: the store's open instances the RUNNING listing showed unchanged; they are not fetched.
    var stillRunning: [String]?
}

/// One listing window: instances of one process code created in `[start, end]` (epoch milliseconds, at most 120
/// days).
struct SyncWindow: Codable, Sendable, Equatable {
    var processCode: String
    var start: Int64
    var end: Int64
    /// Whether the ids are listed (then ``pending`` holds those still to fetch).
    var listed = false
    /// Ids listed and not yet fetched.
    var pending: [String] = []
}

/// The per-month counts of quota-bearing calls, in the snapshot's metadata (`sync.quota`).
enum QuotaRecord {
    /// API calls by month, counted by syncs and event detail calls.
    static let metadataKey = "sync.quota"
    /// Stream pushes received by month, counted by ``EventIngest``.
    static let pushesKey = "stream.pushes"

    static func decode(_ metadata: [String: String], key: String = metadataKey) -> [String: Int] {
        guard let text = metadata[key],
            let counts = try? JSONDecoder().decode([String: Int].self, from: Data(text.utf8))
        else { return [:] }
        return counts
    }

    /// The counts as metadata text, keeping the last 24 months.
    static func encode(_ counts: [String: Int]) -> String {
        let kept = Dictionary(
            uniqueKeysWithValues: counts.sorted { $0.key > $1.key }.prefix(24).map { ($0.key, $0.value) }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(kept)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
