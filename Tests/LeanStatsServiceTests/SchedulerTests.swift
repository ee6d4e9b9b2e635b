import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

@testable import LeanStatsService

struct SchedulerTests {
    let zone = try! ZoneClock(identifier: "Asia/Shanghai")

    private func at(_ text: String) -> Int64 { zone.parseLocal(text)! }

    private func run(_ due: DueJob, at now: Int64) -> JobRun {
        JobRun(
            job: due.job,
            fireTime: due.fireTime,
            started: now,
            finished: now + 60,
            outcome: .succeeded,
            summary: "ok"
        )
    }

    @Test func nothingIsDueOnTheFirstStartButTheBaselineIsKept() {
        let scheduler = Scheduler(settings: ScheduleSettings(), zone: zone)
        var state = SchedulerState()
        #expect(scheduler.dueJobs(now: at("2025-11-26 12:00"), state: &state).isEmpty)
        #expect(state.handled["daily"] == at("2025-11-26 02:00"))
        #expect(state.handled["weekly_full"] == at("2025-11-23 03:00"))
        #expect(state.handled["monthly_report"] == at("2025-11-01 08:00"))
    }

    @Test func theDailySyncIsDueOnceAtItsTime() {
        let scheduler = Scheduler(settings: ScheduleSettings(), zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-26 12:00"), state: &state)
        #expect(scheduler.dueJobs(now: at("2025-11-27 01:59"), state: &state).isEmpty)
        let due = scheduler.dueJobs(now: at("2025-11-27 02:00:05"), state: &state)
        #expect(due == [DueJob(job: .dailySync, fireTime: at("2025-11-27 02:00"), isCatchUp: false)])
        scheduler.record(run(due[0], at: at("2025-11-27 02:00:05")), in: &state)
        #expect(scheduler.dueJobs(now: at("2025-11-27 02:05"), state: &state).isEmpty)
        #expect(state.lastRuns["daily"]?.summary == "ok")
        #expect(scheduler.nextWake(after: at("2025-11-27 02:05")) == at("2025-11-28 02:00"))
    }

    @Test func aMissedJobRunsOnceAfterDowntime() {
        let scheduler = Scheduler(settings: ScheduleSettings(), zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-24 12:00"), state: &state)  // Monday
        // Down from Monday until Thursday noon: three daily syncs missed, one catch-up.
        let due = scheduler.dueJobs(now: at("2025-11-27 12:00"), state: &state)
        #expect(due == [DueJob(job: .dailySync, fireTime: at("2025-11-27 02:00"), isCatchUp: true)])
        scheduler.record(run(due[0], at: at("2025-11-27 12:00")), in: &state)
        #expect(scheduler.dueJobs(now: at("2025-11-27 12:01"), state: &state).isEmpty)
    }

    @Test func theWeeklyFullSyncAbsorbsTheDailySyncOfTheSameMorning() {
        let scheduler = Scheduler(settings: ScheduleSettings(), zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-29 12:00"), state: &state)  // Saturday
        // Down over Sunday's 02:00 and 03:00.
        let due = scheduler.dueJobs(now: at("2025-11-30 09:00"), state: &state)
        #expect(due.map(\.job) == [.weeklyFullSync])
        #expect(due[0].isCatchUp)
        scheduler.record(run(due[0], at: at("2025-11-30 09:00")), in: &state)
        #expect(scheduler.dueJobs(now: at("2025-11-30 09:05"), state: &state).isEmpty)
        #expect(scheduler.dueJobs(now: at("2025-12-01 02:00"), state: &state).map(\.job) == [.dailySync])
    }

    @Test func theMonthlyReportIsDueOnTheFirstAtEight() {
        let scheduler = Scheduler(settings: ScheduleSettings(), zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-30 12:00"), state: &state)
        var due = scheduler.dueJobs(now: at("2025-12-01 07:59"), state: &state)
        #expect(due.map(\.job) == [.dailySync])
        scheduler.record(run(due[0], at: at("2025-12-01 07:59")), in: &state)
        due = scheduler.dueJobs(now: at("2025-12-01 08:00"), state: &state)
        #expect(due == [DueJob(job: .monthlyReport, fireTime: at("2025-12-01 08:00"), isCatchUp: false)])
    }

    @Test func aBusyJobStaysDueUntilItRuns() {
        let scheduler = Scheduler(settings: ScheduleSettings(), zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-26 12:00"), state: &state)
        // The store was busy at 02:00: nothing recorded, so the job is still due a minute later.
        #expect(scheduler.dueJobs(now: at("2025-11-27 02:00"), state: &state).map(\.job) == [.dailySync])
        #expect(scheduler.dueJobs(now: at("2025-11-27 02:01"), state: &state).map(\.job) == [.dailySync])
    }

    @Test func withoutCredentialsNoSyncIsScheduled() {
        var settings = ScheduleSettings()
        settings.syncEnabled = false
        let scheduler = Scheduler(settings: settings, zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-26 12:00"), state: &state)
        #expect(scheduler.dueJobs(now: at("2025-12-02 12:00"), state: &state).map(\.job) == [.monthlyReport])
        #expect(scheduler.nextWake(after: at("2025-12-02 12:00")) == at("2026-01-01 08:00"))
    }

    @Test func theScheduleIsReadInTheConfiguredZone() throws {
        let newYork = try ZoneClock(identifier: "America/New_York")
        let scheduler = Scheduler(settings: ScheduleSettings(), zone: newYork)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: newYork.parseLocal("2025-11-26 12:00")!, state: &state)
        // 02:00 in New York (EST, UTC−5) is 07:00 UTC; at 06:59 UTC nothing is due.
        #expect(scheduler.dueJobs(now: 1_764_226_740, state: &state).isEmpty)
        #expect(scheduler.dueJobs(now: 1_764_226_800, state: &state).map(\.job) == [.dailySync])
    }

    /// Every minute, a full sync every five minutes, the report every three.
    private func compressed() throws -> ScheduleSettings {
        var settings = ScheduleSettings()
        settings.daily = try Schedule(parsing: "every 1m")
        settings.weeklyFull = try Schedule(parsing: "every 5m")
        settings.monthlyReport = try Schedule(parsing: "every 3m")
        return settings
    }

    @Test func anIntervalScheduleIsDueOncePerInterval() throws {
        let scheduler = Scheduler(settings: try compressed(), zone: zone)
        var state = SchedulerState()
        let start = at("2025-11-26 12:00:05")
        #expect(scheduler.dueJobs(now: start, state: &state).isEmpty)
        #expect(state.handled["daily"] == at("2025-11-26 12:00"))
        #expect(scheduler.nextWake(after: start) == at("2025-11-26 12:01"))
        var ran: [ServiceJob] = []
        // Ten minutes in steps of 15 seconds.
        for step in 1...40 {
            let now = start + Int64(step) * 15
            for due in scheduler.dueJobs(now: now, state: &state) {
                #expect(!due.isCatchUp)
                #expect(due.fireTime % 60 == 0 && now - due.fireTime < 15)
                ran.append(due.job)
                scheduler.record(run(due, at: now), in: &state)
            }
        }
        // 12:01 … 12:10: ten minutes, of which 12:05 and 12:10 run the full sync instead; reports at :03, :06, :09.
        #expect(ran.filter { $0 == .dailySync }.count == 8)
        #expect(ran.filter { $0 == .weeklyFullSync }.count == 2)
        #expect(ran.filter { $0 == .monthlyReport }.count == 3)
        #expect(Array(ran.prefix(5)) == [.dailySync, .dailySync, .dailySync, .monthlyReport, .dailySync])
    }

    @Test func anIntervalJobMissedManyTimesRunsOnceAsACatchUp() throws {
        let scheduler = Scheduler(settings: try compressed(), zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-26 12:00:05"), state: &state)
        // Down for 40 minutes: 40 daily, 8 full and 13 report fire times missed; one run each, daily folded in.
        let now = at("2025-11-26 12:40:35")
        let due = scheduler.dueJobs(now: now, state: &state)
        #expect(
            due == [
                DueJob(job: .weeklyFullSync, fireTime: at("2025-11-26 12:40"), isCatchUp: true),
                DueJob(job: .monthlyReport, fireTime: at("2025-11-26 12:39"), isCatchUp: true),
            ]
        )
        for job in due { scheduler.record(run(job, at: now), in: &state) }
        #expect(scheduler.dueJobs(now: now + 20, state: &state).isEmpty)
        #expect(scheduler.dueJobs(now: at("2025-11-26 12:41"), state: &state).map(\.job) == [.dailySync])
    }

    @Test func anIntervalJobLongerThanItsIntervalRunsAgainOnceRightAfter() throws {
        var settings = ScheduleSettings()
        settings.daily = try Schedule(parsing: "every 30s")
        settings.syncEnabled = true
        settings.reportEnabled = false
        settings.weeklyFull = try Schedule(parsing: "every 2h")
        let scheduler = Scheduler(settings: settings, zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-26 12:00:00"), state: &state)
        let first = scheduler.dueJobs(now: at("2025-11-26 12:00:30"), state: &state)
        #expect(first == [DueJob(job: .dailySync, fireTime: at("2025-11-26 12:00:30"), isCatchUp: false)])
        // The sync took 100 seconds: three fire times passed while it ran, so one more run follows at once.
        var finished = run(first[0], at: at("2025-11-26 12:00:30"))
        finished.finished = at("2025-11-26 12:02:10")
        scheduler.record(finished, in: &state)
        let again = scheduler.dueJobs(now: at("2025-11-26 12:02:10"), state: &state)
        #expect(again == [DueJob(job: .dailySync, fireTime: at("2025-11-26 12:02:00"), isCatchUp: true)])
    }

    @Test func theStateSurvivesARestartInAnOwnerOnlyFile() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-scheduler")
        defer { directory.remove() }
        let file = StateFile<SchedulerState>(path: directory.file("data/serve-schedule.json"))
        #expect(try file.load() == nil)
        let scheduler = Scheduler(settings: ScheduleSettings(), zone: zone)
        var state = SchedulerState()
        _ = scheduler.dueJobs(now: at("2025-11-26 12:00"), state: &state)
        let due = scheduler.dueJobs(now: at("2025-11-27 02:00"), state: &state)
        scheduler.record(run(due[0], at: at("2025-11-27 02:00")), in: &state)
        try file.save(state)
        #expect(try file.load() == state)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: file.path))
        do {
            _ = try file.load()
            Issue.record("a damaged state file was read")
        } catch {
            #expect(error.code == .state && error.message.contains("delete it"))
        }
    }
}

struct SyncGateTests {
    @Test func aSyncDoesNotStartWhileAnotherProcessHoldsTheStore() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-gate")
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        let gate = SyncGate(store: store)
        let held = try store.lockForWriting("sync")
        let ran = Locked(false)
        await #expect(throws: ServiceError.self) {
            try await gate.exclusive { ran.withLock { $0 = true } }
        }
        #expect(ran.withLock { $0 } == false)
        withExtendedLifetime(held) {}
    }

    @Test func twoScheduledSyncsNeverOverlapAndTheGateReopens() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-gate")
        defer { directory.remove() }
        let gate = SyncGate(store: SnapshotStore(directory: directory.path))
        let started = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let first = Task {
            try await gate.exclusive {
                started.continuation.yield()
                for await _ in release.stream { break }
                return 1
            }
        }
        for await _ in started.stream { break }
        do {
            _ = try await gate.exclusive { 2 }
            Issue.record("the second sync ran while the first was running")
        } catch let error as ServiceError {
            #expect(error.code == .busy)
        }
        release.continuation.yield()
        #expect(try await first.value == 1)
        #expect(try await gate.exclusive { 3 } == 3)
    }
}
