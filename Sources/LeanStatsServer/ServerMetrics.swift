import Foundation
import LeanStatsCore

/// The server's own counters and the query-duration histogram, shared by every connection thread.
public final class ServerMetrics: Sendable {
    /// The upper bounds (seconds) of the query-duration histogram buckets.
    public static let queryBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]

    private let state = Locked(State())

    private struct State {
        var bucketCounts = [Int](repeating: 0, count: ServerMetrics.queryBuckets.count)
        var queryCount = 0
        var querySum = 0.0
        var requests: [RequestKey: Int] = [:]
    }

    private struct RequestKey: Hashable {
        var route: String
        var status: Int
    }

    /// Creates empty metrics.
    public init() {}

    /// Records one query's duration.
    /// - Parameter seconds: How long the query ran.
    public func observeQuery(seconds: Double) {
        state.withLock { state in
            state.queryCount += 1
            state.querySum += seconds
            for (index, bound) in Self.queryBuckets.enumerated() where seconds <= bound {
                state.bucketCounts[index] += 1
            }
        }
    }

    /// Counts one answered request.
    /// - Parameters:
    ///   - route: The route's fixed name (`/`, `/api/query`, …, or `other`), never the raw path.
    ///   - status: The response status.
    public func countRequest(route: String, status: Int) {
        state.withLock { $0.requests[RequestKey(route: route, status: status), default: 0] += 1 }
    }

    /// Appends the server's metrics in the Prometheus text format.
    func render(into text: inout PrometheusText) {
        let snapshot = state.withLock { $0 }
        text.family(
            "leanstats_query_duration_seconds",
            type: "histogram",
            help: "Time to run one query over HTTP (/api/query, /list) or the statistics of one dashboard page."
        )
        for (index, bound) in Self.queryBuckets.enumerated() {
            text.sample(
                "leanstats_query_duration_seconds_bucket",
                labels: [("le", PrometheusText.number(bound))],
                value: Double(snapshot.bucketCounts[index])
            )
        }
        text.sample(
            "leanstats_query_duration_seconds_bucket",
            labels: [("le", "+Inf")],
            value: Double(snapshot.queryCount)
        )
        text.sample("leanstats_query_duration_seconds_sum", value: snapshot.querySum)
        text.sample("leanstats_query_duration_seconds_count", value: Double(snapshot.queryCount))
        text.family(
            "leanstats_http_requests_total",
            type: "counter",
            help: "HTTP requests answered, by route and status."
        )
        let ordered = snapshot.requests.sorted {
            ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status)
        }
        for (key, count) in ordered {
            text.sample(
                "leanstats_http_requests_total",
                labels: [("route", key.route), ("code", String(key.status))],
                value: Double(count)
            )
        }
    }
}

/// Builds text in the Prometheus exposition format 0.0.4 (`# HELP`, `# TYPE`, samples with escaped labels).
struct PrometheusText {
    /// The content type of the format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private(set) var text = ""

    /// Starts a metric family.
    mutating func family(_ name: String, type: String, help: String) {
        text +=
            "# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n"))\n"
        text += "# TYPE \(name) \(type)\n"
    }

    /// Appends one sample line.
    mutating func sample(_ name: String, labels: [(String, String)] = [], value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.number(value) + "\n"
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A sample value: integers without a fraction, others in Swift's shortest round-trip form.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
