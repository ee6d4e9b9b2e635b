import Foundation
import LeanStatsCore

/// What the alerting remembers between runs (`serve-alerts.json` in the data directory), so that a failure
/// streak, staleness or a crossed threshold is mailed once, not on every check.
public struct AlertState: Codable, Sendable, Equatable {
    /// Whether the latest sync failed (or ended with failed instances) and that was mailed.
    public var syncFailing = false
    /// Consecutive failed syncs in the current streak.
    public var failureStreak = 0
    /// When the current failure streak began (Unix seconds).
    public var failingSince: Int64?
    /// When the newest successful sync finished (Unix seconds).
    public var lastSuccessfulSync: Int64?
    /// Whether the staleness alert for the current gap was mailed.
    public var staleAlerted = false
    /// The metrics currently over their threshold (and mailed).
    public var metricsOver: [String] = []

    /// A fresh state: nothing failing, nothing mailed.
    public init() {}
}

/// How one sync ended, as the alerting sees it.
public struct SyncOutcome: Sendable, Equatable {
    /// When it finished (Unix seconds).
    public var finished: Int64
    /// The error that ended it, `nil` when it ran to its end (a clean stop at the budget counts as an end).
    public var error: String?
    /// Instances whose detail could not be read.
    public var failedInstances = 0
    /// The first errors (failed instances, notices), at most a handful.
    public var firstErrors: [String] = []
    /// The sync's summary line.
    public var summary = ""

    /// Creates an outcome.
    public init(
        finished: Int64,
        error: String? = nil,
        failedInstances: Int = 0,
        firstErrors: [String] = [],
        summary: String = ""
    ) {
        self.finished = finished
        self.error = error
        self.failedInstances = failedInstances
        self.firstErrors = firstErrors
        self.summary = summary
    }

    /// Whether the sync counts as failed for alerting: it threw, or some instances failed.
    public var isFailure: Bool { error != nil || failedInstances > 0 }
}

/// One message to mail.
public struct Alert: Sendable, Equatable {
    /// Which kind of message.
    public enum Kind: String, Sendable {
        case syncFailed, syncRecovered, stale, thresholdCrossed, thresholdBack
    }

    /// Which kind of message.
    public var kind: Kind
    /// The subject (UTF-8; the mailer encodes it).
    public var subject: String
    /// The plain-text body.
    public var body: String
}

/// Turns events (sync outcomes, the clock, metric readings) into at most one message per change of state: the
/// first failure of a streak and its recovery, a data gap, a threshold crossed and back. Pure logic: the time is
/// an argument, the state is passed in and out.
public struct AlertPolicy: Sendable {
    /// The limits.
    public let thresholds: AlertThresholds
    /// The zone times are shown in.
    public let zone: ZoneClock
    /// How the machine is named in subjects (the host name).
    public var origin: String

    /// Creates a policy.
    /// - Parameters:
    ///   - thresholds: The limits.
    ///   - zone: The zone times are shown in.
    ///   - origin: The machine's name for subjects.
    public init(thresholds: AlertThresholds, zone: ZoneClock, origin: String = "leanstats") {
        self.thresholds = thresholds
        self.zone = zone
        self.origin = origin
    }

    /// Feeds a finished sync.
    /// - Parameters:
    ///   - outcome: How it ended.
    ///   - state: The state to update.
    /// - Returns: A failure message on the first failure of a streak, a recovery message on the first success
    ///   after one, else nothing.
    public func syncFinished(_ outcome: SyncOutcome, state: inout AlertState) -> [Alert] {
        if outcome.error == nil {
            state.lastSuccessfulSync = outcome.finished
            state.staleAlerted = false
        }
        if outcome.isFailure {
            state.failureStreak += 1
            guard !state.syncFailing else { return [] }
            state.syncFailing = true
            state.failingSince = outcome.finished
            return [failureAlert(outcome)]
        }
        guard state.syncFailing else {
            state.failureStreak = 0
            return []
        }
        let streak = state.failureStreak
        let since = state.failingSince.map { zone.format($0) } ?? "?"
        state.syncFailing = false
        state.failureStreak = 0
        state.failingSince = nil
        return [
            Alert(
                kind: .syncRecovered,
                subject: "[\(origin)] 同步已恢复 / sync recovered",
                body: """
                    The DingTalk sync works again (\(zone.format(outcome.finished)) \(zone.identifier)).
                    It had failed \(streak) time\(streak == 1 ? "" : "s") since \(since).

                    \(outcome.summary)
                    """
            )
        ]
    }

    private func failureAlert(_ outcome: SyncOutcome) -> Alert {
        var lines = ["The DingTalk sync at \(zone.format(outcome.finished)) (\(zone.identifier)) did not succeed."]
        if let error = outcome.error { lines.append("Error: \(error)") }
        if outcome.failedInstances > 0 {
            lines.append("Instances that could not be read: \(outcome.failedInstances)")
        }
        if !outcome.firstErrors.isEmpty {
            lines.append("")
            lines.append("First errors:")
            lines += outcome.firstErrors.prefix(5).map { "  - \($0)" }
        }
        if !outcome.summary.isEmpty {
            lines.append("")
            lines.append(outcome.summary)
        }
        lines += [
            "",
            "What to check:",
            "  - `leanstats doctor` (configuration, credentials, reachability of the DingTalk hosts, quota)",
            "  - the app key/secret and the process codes in leanstats.toml",
            "  - the network from this machine to api.dingtalk.com / oapi.dingtalk.com",
            "  - the service log for the full message",
            "",
            "You get no further message while the sync keeps failing, and one when it recovers.",
        ]
        let what = outcome.error != nil ? "同步失败 / sync failed" : "同步有失败的实例 / sync had failed instances"
        return Alert(kind: .syncFailed, subject: "[\(origin)] \(what)", body: lines.joined(separator: "\n"))
    }

    /// Checks the age of the newest successful sync.
    /// - Parameters:
    ///   - now: Unix seconds.
    ///   - state: The state to update.
    /// - Returns: One message when the data just became older than ``AlertThresholds/staleAfterSeconds``.
    public func checkStaleness(now: Int64, state: inout AlertState) -> [Alert] {
        guard let last = state.lastSuccessfulSync, !state.staleAlerted,
            now - last > thresholds.staleAfterSeconds
        else { return [] }
        state.staleAlerted = true
        let hours = (now - last) / 3600
        return [
            Alert(
                kind: .stale,
                subject: "[\(origin)] 数据已 \(hours) 小时未更新 / data is \(hours) hours old",
                body: """
                    The newest successful sync finished at \(zone.format(last)) (\(zone.identifier)), \(hours) hours ago;
                    the limit is \(thresholds.staleAfterSeconds / 3600) hours (alerts.stale_after_h).

                    What to check: is `leanstats serve` running, is scheduled sync on (DingTalk credentials), and what
                    does the service log say about the latest runs? `leanstats doctor` checks the set-up.
                    """
            )
        ]
    }

    /// Feeds a metric reading.
    /// - Parameters:
    ///   - metric: The metric.
    ///   - value: Its value in the metric's unit.
    ///   - now: Unix seconds.
    ///   - state: The state to update.
    /// - Returns: One message when the value crosses its threshold, one when it is back at or below it.
    public func observe(_ metric: AlertMetric, _ value: Double, now: Int64, state: inout AlertState) -> [Alert] {
        guard let limit = thresholds.limits[metric] else { return [] }
        let wasOver = state.metricsOver.contains(metric.rawValue)
        let shown = "\(format(value)) \(metric.unit)"
        let limitText = "\(format(limit)) \(metric.unit)"
        if value > limit, !wasOver {
            state.metricsOver.append(metric.rawValue)
            state.metricsOver.sort()
            return [
                Alert(
                    kind: .thresholdCrossed,
                    subject: "[\(origin)] \(metric) 超过阈值 / \(metric) above \(limitText)",
                    body: """
                        The \(metric) is \(shown) at \(zone.format(now)) (\(zone.identifier)), above the threshold of \
                        \(limitText) (alerts.thresholds.\(metric.rawValue)).
                        What to check: \(metric.advice).
                        You get one more message when it is back under the threshold.
                        """
                )
            ]
        }
        if value <= limit, wasOver {
            state.metricsOver.removeAll { $0 == metric.rawValue }
            return [
                Alert(
                    kind: .thresholdBack,
                    subject: "[\(origin)] \(metric) 已恢复 / \(metric) back under \(limitText)",
                    body: """
                        The \(metric) is \(shown) at \(zone.format(now)) (\(zone.identifier)), back under the \
                        threshold of \(limitText).
                        """
                )
            ]
        }
        return []
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.1f", value)
    }
}
