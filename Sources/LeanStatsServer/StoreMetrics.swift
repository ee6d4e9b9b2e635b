import Foundation
import LeanStatsCore

/// The store's gauges for `/metrics`, read from the served snapshot and its metadata (`sync.state`,
/// `sync.last_run`, `sync.quota`, `stream.pushes`).
enum StoreMetrics {
    /// Appends the store gauges.
    /// - Parameters:
    ///   - snapshot: The served snapshot, `nil` while the store is empty.
    ///   - budget: `sync.monthly_call_budget`.
    ///   - pushBudget: `sync.monthly_push_budget`.
    ///   - clock: The zone whose current month the quota counts.
    ///   - text: The exposition being built.
    static func render(
        _ snapshot: ServedSnapshot?,
        budget: Int,
        pushBudget: Int,
        clock: ZoneClock,
        into text: inout PrometheusText
    ) {
        text.family("leanstats_up", type: "gauge", help: "1 when a snapshot is loaded and served.")
        text.sample("leanstats_up", value: snapshot == nil ? 0 : 1)
        guard let snapshot else { return }
        text.family("leanstats_snapshot_bytes", type: "gauge", help: "Size of the served snapshot file.")
        text.sample("leanstats_snapshot_bytes", value: Double(snapshot.fileBytes))
        text.family("leanstats_snapshot_generation", type: "gauge", help: "Generation number of the served snapshot.")
        text.sample("leanstats_snapshot_generation", value: Double(snapshot.generation))
        text.family(
            "leanstats_snapshot_created_timestamp_seconds",
            type: "gauge",
            help: "When the served snapshot was written."
        )
        text.sample("leanstats_snapshot_created_timestamp_seconds", value: Double(snapshot.createdAt))
        text.family("leanstats_instances", type: "gauge", help: "Approval instances in the store by DingTalk status.")
        for (status, count) in snapshot.statusCounts.sorted(by: { $0.key < $1.key }) {
            text.sample("leanstats_instances", labels: [("status", status)], value: Double(count))
        }
        let state = jsonObject(snapshot.metadata["sync.state"])
        if let finished = state?["lastFinishedAt"] as? NSNumber {
            text.family(
                "leanstats_last_successful_sync_timestamp_seconds",
                type: "gauge",
                help: "When the last sync finished successfully."
            )
            text.sample("leanstats_last_successful_sync_timestamp_seconds", value: finished.doubleValue / 1000)
        }
        if let state {
            let run = state["run"] as? [String: Any]
            text.family(
                "leanstats_sync_unfinished",
                type: "gauge",
                help: "1 when the store records a sync run that has not finished (running, killed or out of budget)."
            )
            text.sample("leanstats_sync_unfinished", value: run == nil ? 0 : 1)
            if let started = run?["startedAt"] as? NSNumber {
                text.family(
                    "leanstats_sync_unfinished_started_timestamp_seconds",
                    type: "gauge",
                    help: "When the unfinished sync run started."
                )
                text.sample("leanstats_sync_unfinished_started_timestamp_seconds", value: started.doubleValue / 1000)
            }
        }
        if let last = jsonObject(snapshot.metadata["sync.last_run"]) {
            if let duration = last["durationSeconds"] as? NSNumber {
                text.family(
                    "leanstats_sync_duration_seconds",
                    type: "gauge",
                    help: "How long the last finished sync ran."
                )
                text.sample("leanstats_sync_duration_seconds", value: duration.doubleValue)
            }
            if let outcomes = last["outcomes"] as? [String: [String: Any]] {
                text.family(
                    "leanstats_dingtalk_calls",
                    type: "gauge",
                    help: "DingTalk answers during the last finished sync, by API path and outcome."
                )
                for (api, counts) in outcomes.sorted(by: { $0.key < $1.key }) {
                    for (outcome, count) in counts.sorted(by: { $0.key < $1.key }) {
                        guard let count = count as? NSNumber else { continue }
                        text.sample(
                            "leanstats_dingtalk_calls",
                            labels: [("api", api), ("outcome", outcome)],
                            value: count.doubleValue
                        )
                    }
                }
            }
        }
        if let quota = jsonObject(snapshot.metadata["sync.quota"]) {
            let month = CivilDate.today(in: clock).monthText
            let used = (quota[month] as? NSNumber)?.doubleValue ?? 0
            text.family(
                "leanstats_dingtalk_quota_calls",
                type: "gauge",
                help: "Quota-bearing DingTalk calls counted this month."
            )
            text.sample("leanstats_dingtalk_quota_calls", value: used)
            text.family(
                "leanstats_dingtalk_quota_used_ratio",
                type: "gauge",
                help: "This month's DingTalk calls over sync.monthly_call_budget."
            )
            text.sample("leanstats_dingtalk_quota_used_ratio", value: budget > 0 ? used / Double(budget) : 0)
        }
        if let pushes = jsonObject(snapshot.metadata["stream.pushes"]) {
            let month = CivilDate.today(in: clock).monthText
            let used = (pushes[month] as? NSNumber)?.doubleValue ?? 0
            text.family(
                "leanstats_dingtalk_pushes",
                type: "gauge",
                help: "Stream event pushes received this month."
            )
            text.sample("leanstats_dingtalk_pushes", value: used)
            text.family(
                "leanstats_dingtalk_push_used_ratio",
                type: "gauge",
                help: "This month's Stream pushes over sync.monthly_push_budget."
            )
            text.sample("leanstats_dingtalk_push_used_ratio", value: pushBudget > 0 ? used / Double(pushBudget) : 0)
        }
    }

    private static func jsonObject(_ text: String?) -> [String: Any]? {
        guard let text else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// Appends the snapshot-damage gauges: whether the newest generation failed to load, which one, and how many
    /// loads have failed since start.
    /// - Parameters:
    ///   - damage: The newest generation's damage, `nil` when it is served.
    ///   - loadFailures: Failed generation loads since start.
    ///   - text: The exposition being built.
    static func renderDamage(_ damage: SnapshotDamage?, loadFailures: Int, into text: inout PrometheusText) {
        text.family(
            "leanstats_snapshot_damaged",
            type: "gauge",
            help: "1 while the newest snapshot generation cannot be loaded and an older one (or none) is served."
        )
        text.sample("leanstats_snapshot_damaged", value: damage == nil ? 0 : 1)
        if let damage {
            text.family(
                "leanstats_snapshot_damaged_generation",
                type: "gauge",
                help: "The newest snapshot generation, which cannot be loaded."
            )
            text.sample("leanstats_snapshot_damaged_generation", value: Double(damage.generation))
        }
        text.family(
            "leanstats_snapshot_load_failures_total",
            type: "counter",
            help: "Snapshot generation loads that failed since the server started."
        )
        text.sample("leanstats_snapshot_load_failures_total", value: Double(loadFailures))
    }
}
