/// A performance metric that can trip an alert (`[alerts.thresholds]`).
public enum AlertMetric: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// A sync's wall-clock duration, seconds (`sync_duration_s`).
    case syncDuration = "sync_duration_s"
    /// Share of a sync's HTTP requests that had to be retried, percent (`api_error_rate_pct`).
    case apiErrorRate = "api_error_rate_pct"
    /// A query's latency, milliseconds (`query_latency_ms`).
    case queryLatency = "query_latency_ms"
    /// The newest snapshot file's size, megabytes (`snapshot_size_mb`).
    case snapshotSize = "snapshot_size_mb"

    public var description: String {
        switch self {
        case .syncDuration: "sync duration"
        case .apiErrorRate: "API error rate"
        case .queryLatency: "query latency"
        case .snapshotSize: "snapshot size"
        }
    }

    /// The unit shown after a value.
    public var unit: String {
        switch self {
        case .syncDuration: "s"
        case .apiErrorRate: "%"
        case .queryLatency: "ms"
        case .snapshotSize: "MB"
        }
    }

    /// What to look at when the metric is too high.
    public var advice: String {
        switch self {
        case .syncDuration:
            "check DingTalk's response times and sync.qps; a full sync of a large organisation may need a higher threshold"
        case .apiErrorRate:
            "check the network to DingTalk, throttling (sync.qps) and DingTalk's status page"
        case .queryLatency:
            "check the machine's load and memory; a much larger store may need more cores"
        case .snapshotSize:
            "check the data directory's free space; the store keeps two generations"
        }
    }
}

/// The `[alerts]` limits: staleness and the performance thresholds. A threshold that is `nil` is off.
public struct AlertThresholds: Sendable, Equatable {
    /// `alerts.stale_after_h`: alert when the newest successful sync is older than this many seconds (default
    /// 48 hours: two missed daily syncs).
    public var staleAfterSeconds: Int64 = 48 * 3600
    /// `[alerts.thresholds]`, by metric.
    public var limits: [AlertMetric: Double] = [:]

    /// No performance thresholds, staleness after 48 hours.
    public init() {}
}
