import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsService

struct AlertPolicyTests {
    let zone = try! ZoneClock(identifier: "Asia/Shanghai")

    private func policy(_ limits: [AlertMetric: Double] = [:], staleHours: Int64 = 48) -> AlertPolicy {
        var thresholds = AlertThresholds()
        thresholds.limits = limits
        thresholds.staleAfterSeconds = staleHours * 3600
        return AlertPolicy(thresholds: thresholds, zone: zone, origin: "plant-1")
    }

    private let t0: Int64 = 1_764_525_600

    @Test func aFailureStreakIsMailedOnceAndItsRecoveryOnce() {
        let policy = policy()
        var state = AlertState()
        #expect(policy.syncFinished(SyncOutcome(finished: t0, summary: "sync finished"), state: &state).isEmpty)
        let failure = SyncOutcome(finished: t0 + 86_400, error: "DingTalk rejected the app credentials")
        let first = policy.syncFinished(failure, state: &state)
        #expect(first.map(\.kind) == [.syncFailed])
        #expect(first[0].body.contains("DingTalk rejected the app credentials"))
        #expect(first[0].body.contains("leanstats doctor"))
        #expect(first[0].subject.contains("同步失败"))
        for day in 2...4 {
            var again = failure
            again.finished = t0 + Int64(day) * 86_400
            #expect(policy.syncFinished(again, state: &state).isEmpty)
        }
        #expect(state.failureStreak == 4)
        let recovered = policy.syncFinished(
            SyncOutcome(finished: t0 + 5 * 86_400, summary: "sync finished: …"),
            state: &state
        )
        #expect(recovered.map(\.kind) == [.syncRecovered])
        #expect(recovered[0].body.contains("failed 4 times"))
        #expect(policy.syncFinished(SyncOutcome(finished: t0 + 6 * 86_400), state: &state).isEmpty)
        #expect(
            state
                == {
                    var expected = AlertState()
                    expected.lastSuccessfulSync = t0 + 6 * 86_400
                    return expected
                }()
        )
    }

    @Test func failedInstancesCountAsAFailureWithTheirCountsAndFirstErrors() {
        let policy = policy()
        var state = AlertState()
        let outcome = SyncOutcome(
            finished: t0,
            failedInstances: 3,
            firstErrors: ["instance a: not found", "instance b: unreadable"],
            summary: "sync finished: fetched 10 instances (… 3 failed)"
        )
        let alerts = policy.syncFinished(outcome, state: &state)
        #expect(alerts.map(\.kind) == [.syncFailed])
        #expect(alerts[0].body.contains("could not be read: 3"))
        #expect(alerts[0].body.contains("instance b: unreadable"))
        // The data is still fresh: the sync ran to its end.
        #expect(state.lastSuccessfulSync == t0)
    }

    @Test func staleDataIsMailedOncePerGap() {
        let policy = policy(staleHours: 48)
        var state = AlertState()
        _ = policy.syncFinished(SyncOutcome(finished: t0), state: &state)
        #expect(policy.checkStaleness(now: t0 + 47 * 3600, state: &state).isEmpty)
        let stale = policy.checkStaleness(now: t0 + 49 * 3600, state: &state)
        #expect(stale.map(\.kind) == [.stale])
        #expect(stale[0].subject.contains("49"))
        #expect(policy.checkStaleness(now: t0 + 72 * 3600, state: &state).isEmpty)
        _ = policy.syncFinished(SyncOutcome(finished: t0 + 73 * 3600), state: &state)
        #expect(policy.checkStaleness(now: t0 + 74 * 3600, state: &state).isEmpty)
        #expect(policy.checkStaleness(now: t0 + 122 * 3600, state: &state).map(\.kind) == [.stale])
    }

    @Test(arguments: AlertMetric.allCases)
    func aThresholdIsMailedWhenCrossedAndWhenBack(metric: AlertMetric) {
        let policy = policy([metric: 100])
        var state = AlertState()
        #expect(policy.observe(metric, 90, now: t0, state: &state).isEmpty)
        let crossed = policy.observe(metric, 150, now: t0 + 60, state: &state)
        #expect(crossed.map(\.kind) == [.thresholdCrossed])
        #expect(crossed[0].body.contains("150 \(metric.unit)") && crossed[0].body.contains(metric.rawValue))
        #expect(policy.observe(metric, 170, now: t0 + 120, state: &state).isEmpty)
        #expect(policy.observe(metric, 100, now: t0 + 180, state: &state).map(\.kind) == [.thresholdBack])
        #expect(policy.observe(metric, 99, now: t0 + 240, state: &state).isEmpty)
        #expect(state.metricsOver.isEmpty)
    }

    @Test func aMetricWithoutThresholdNeverAlertsAndMetricsAreIndependent() {
        let policy = policy([.queryLatency: 500, .snapshotSize: 1024])
        var state = AlertState()
        #expect(policy.observe(.syncDuration, 1e9, now: t0, state: &state).isEmpty)
        #expect(policy.observe(.queryLatency, 900, now: t0, state: &state).count == 1)
        #expect(policy.observe(.snapshotSize, 2048, now: t0, state: &state).count == 1)
        #expect(policy.observe(.queryLatency, 20, now: t0, state: &state).map(\.kind) == [.thresholdBack])
        #expect(state.metricsOver == ["snapshot_size_mb"])
    }

    @Test func theAlertStateSurvivesARestart() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-alerts")
        defer { directory.remove() }
        let file = StateFile<AlertState>(path: directory.file("serve-alerts.json"))
        let policy = policy([.queryLatency: 500])
        var state = AlertState()
        _ = policy.syncFinished(SyncOutcome(finished: t0, error: "network"), state: &state)
        _ = policy.observe(.queryLatency, 900, now: t0, state: &state)
        try file.save(state)
        var reloaded = try #require(try file.load())
        #expect(reloaded == state)
        // After the restart the streak continues silently.
        #expect(policy.syncFinished(SyncOutcome(finished: t0 + 60, error: "network"), state: &reloaded).isEmpty)
    }
}
