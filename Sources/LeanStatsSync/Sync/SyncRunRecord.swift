import Foundation

/// What the last finished sync did, kept in the snapshot metadata for `/metrics` and alerts.
public struct SyncRunRecord: Codable, Sendable, Equatable {
    /// The snapshot metadata key.
    public static let metadataKey = "sync.last_run"

    /// When the sync finished, epoch milliseconds.
    public var finishedAt: Int64
    /// How long it ran, in seconds.
    public var durationSeconds: Double
    /// Answers by endpoint path and outcome (`ok`, `auth`, `throttled`, `transient`, `quota`, `error`).
    public var outcomes: [String: [String: Int]]

    /// Creates a record.
    public init(finishedAt: Int64, durationSeconds: Double, outcomes: [String: [String: Int]]) {
        self.finishedAt = finishedAt
        self.durationSeconds = durationSeconds
        self.outcomes = outcomes
    }

    /// Reads the record from snapshot metadata; `nil` before the first finished sync.
    public static func decode(from metadata: [String: String]) -> SyncRunRecord? {
        metadata[metadataKey].flatMap { try? JSONDecoder().decode(SyncRunRecord.self, from: Data($0.utf8)) }
    }

    /// The record as a metadata value (sorted keys: the same run gives the same bytes).
    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
