import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsSync
import LeanStatsTestSupport
import Testing

@testable import LeanStatsService

/// The scheduled jobs end to end: an injected clock, a fake sync, the real mailer against the test SMTP server.
struct ServiceRunnerTests {
    let zone = try! ZoneClock(identifier: "Asia/Shanghai")

    /// A settable clock.
    final class TestClock: Sendable {
        private let value: Locked<Int64>
        init(_ start: Int64) { value = Locked(start) }
        var now: Int64 { value.withLock { $0 } }
        func set(_ instant: Int64) { value.withLock { $0 = instant } }
    }

    /// A fake sync that fails or succeeds as told.
    final class FakeSync: Sendable {
        let results = Locked<[Result<SyncRunResult, SyncError>]>([])
        let calls = Locked<[SyncMode]>([])
        func next(_ mode: SyncMode) throws -> SyncRunResult {
            calls.withLock { $0.append(mode) }
            let result = results.withLock {
                $0.isEmpty ? .success(SyncRunResult(line: "sync finished")) : $0.removeFirst()
            }
            return try result.get()
        }
    }

    private func runner(
        _ directory: String,
        server: TestSMTPServer,
        clock: TestClock,
        sync: FakeSync,
        thresholds: [AlertMetric: Double] = [:],
        log: Locked<[String]> = Locked([])
    ) throws -> ServiceRunner {
        var configuration = ServiceConfiguration(dataDirectory: directory, zone: zone)
        configuration.mail = MailSettings(
            url: server.url,
            tls: .off,
            from: "leanstats@example.com",
            to: ["ops@example.com"]
        )
        configuration.reportTo = ["boss@example.com"]
        configuration.thresholds.limits = thresholds
        configuration.origin = "plant-1"
        return try ServiceRunner(
            configuration: configuration,
            clock: { clock.now },
            log: { line in log.withLock { $0.append(line) } },
            sync: { mode in try sync.next(mode) }
        )
    }

    private func subjects(_ server: TestSMTPServer) -> [String] {
        server.messages.map { MailParsing.decodeWords(MailParsing.headers($0.data)["subject"] ?? "") }
    }

    @Test func aFailingSyncIsMailedOncePerStreakAndItsRecoveryOnce() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-runner")
        defer { directory.remove() }
        let server = try TestSMTPServer()
        defer { server.stop() }
        let clock = TestClock(zone.parseLocal("2025-11-25 12:00")!)
        let sync = FakeSync()
        let failure = SyncError(.network, "cannot reach api.dingtalk.com")
        sync.results.withLock {
            $0 = [
                .success(SyncRunResult(line: "ok")), .failure(failure), .failure(failure), .failure(failure),
                .success(SyncRunResult(line: "sync finished: fetched 3 instances")),
            ]
        }
        let log = Locked<[String]>([])
        let runner = try runner(directory.path, server: server, clock: clock, sync: sync, log: log)
        #expect(await runner.tick().isEmpty)
        for day in 26...30 {
            clock.set(zone.parseLocal("2025-11-\(day) \(day == 30 ? "03" : "02"):00:30")!)
            let runs = await runner.tick()
            // Sunday the 30th: the weekly full sync absorbs the daily one.
            #expect(runs.map(\.job) == [day == 30 ? .weeklyFullSync : .dailySync])
        }
        // One failure message for three failed days; the data also went stale (last success on the 26th).
        #expect(
            subjects(server) == [
                "[plant-1] 同步失败 / sync failed", "[plant-1] 数据已 72 小时未更新 / data is 72 hours old",
                "[plant-1] 同步已恢复 / sync recovered",
            ]
        )
        #expect(server.messages[0].data.contains("Content-Type: text/plain"))
        #expect(sync.calls.withLock { $0 } == [.incremental, .incremental, .incremental, .incremental, .full])
        #expect(log.withLock { $0 }.contains { $0.contains("daily sync failed") })
        #expect(FileManager.default.fileExists(atPath: directory.file("serve-schedule.json")))
        #expect(FileManager.default.fileExists(atPath: directory.file("serve-alerts.json")))
    }

    @Test func aSyncWaitsWhileAManualSyncHoldsTheStore() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-runner")
        defer { directory.remove() }
        let server = try TestSMTPServer()
        defer { server.stop() }
        let clock = TestClock(zone.parseLocal("2025-11-25 12:00")!)
        let sync = FakeSync()
        let runner = try runner(directory.path, server: server, clock: clock, sync: sync)
        await runner.tick()
        clock.set(zone.parseLocal("2025-11-26 02:00")!)
        var held: StoreLock? = try SnapshotStore(directory: directory.path).lockForWriting("sync")
        #expect(await runner.tick().isEmpty)
        #expect(sync.calls.withLock { $0 }.isEmpty)
        withExtendedLifetime(held) {}
        held = nil
        clock.set(zone.parseLocal("2025-11-26 02:01")!)
        #expect(await runner.tick().map(\.job) == [.dailySync])
        #expect(sync.calls.withLock { $0 } == [.incremental])
    }

    @Test func theMonthlyReportIsWrittenAndMailedWithTheWorkbook() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-runner")
        defer { directory.remove() }
        _ = try ServiceFixtures.store(at: directory.path)
        let server = try TestSMTPServer()
        defer { server.stop() }
        let clock = TestClock(zone.parseLocal("2024-11-30 12:00")!)
        var configuration = ServiceConfiguration(dataDirectory: directory.path, zone: zone)
        configuration.mail = MailSettings(url: server.url, tls: .off, from: "leanstats@example.com", to: ["ops@x.com"])
        configuration.reportTo = ["boss@example.com"]
        let finished = Locked<[ServiceJob]>([])
        let sync = FakeSync()
        let runner = try ServiceRunner(
            configuration: configuration,
            clock: { clock.now },
            log: { _ in },
            sync: { mode in try sync.next(mode) },
            onJobFinished: { run in finished.withLock { $0.append(run.job) } }
        )
        await runner.tick()
        clock.set(zone.parseLocal("2024-12-01 09:00")!)
        let runs = await runner.tick()
        // 2024-12-01 is a Sunday: the full sync absorbs the daily one.
        #expect(runs.map(\.job) == [.weeklyFullSync, .monthlyReport])
        #expect(runs.last?.outcome == .succeeded)
        #expect(finished.withLock { $0 } == [.weeklyFullSync, .monthlyReport])
        let report = try #require(server.messages.first { $0.recipients == ["boss@example.com"] })
        #expect(MailParsing.decodeWords(MailParsing.headers(report.data)["subject"] ?? "") == "精益提案月报 2024年11月")
        let workbook = try Data(contentsOf: URL(fileURLWithPath: directory.file("reports/report-2024-11.xlsx")))
        #expect(MailParsing.parts(report.data).last == Array(workbook))
    }

    @Test func aSlowSyncCrossesItsThresholdOnceAndComesBackOnce() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-runner")
        defer { directory.remove() }
        let server = try TestSMTPServer()
        defer { server.stop() }
        let clock = TestClock(zone.parseLocal("2025-11-25 12:00")!)
        let sync = FakeSync()
        sync.results.withLock {
            $0 = [
                .success(SyncRunResult(line: "slow", seconds: 4000, requests: 100, retries: 1)),
                .success(SyncRunResult(line: "slow again", seconds: 5000, requests: 100, retries: 20)),
                .success(SyncRunResult(line: "fast", seconds: 30, requests: 100, retries: 0)),
            ]
        }
        let runner = try runner(
            directory.path,
            server: server,
            clock: clock,
            sync: sync,
            thresholds: [.syncDuration: 1800, .apiErrorRate: 5]
        )
        await runner.tick()
        for day in 26...28 {
            clock.set(zone.parseLocal("2025-11-\(day) 02:00")!)
            await runner.tick()
        }
        #expect(
            subjects(server) == [
                "[plant-1] sync duration 超过阈值 / sync duration above 1800 s",
                "[plant-1] API error rate 超过阈值 / API error rate above 5 %",
                "[plant-1] sync duration 已恢复 / sync duration back under 1800 s",
                "[plant-1] API error rate 已恢复 / API error rate back under 5 %",
            ]
        )
        await runner.observeQueryLatency(milliseconds: 10)
        #expect(server.messages.count == 4)
    }

    @Test func aCompressedScheduleRunsEveryJobAtItsIntervalAndCatchesUpOnceAfterDowntime() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-runner")
        defer { directory.remove() }
        _ = try ServiceFixtures.store(at: directory.path)
        let server = try TestSMTPServer()
        defer { server.stop() }
        let start = zone.parseLocal("2024-12-02 12:00:05")!
        let clock = TestClock(start)
        var configuration = ServiceConfiguration(dataDirectory: directory.path, zone: zone)
        configuration.schedule.daily = try Schedule(parsing: "every 1m")
        configuration.schedule.weeklyFull = try Schedule(parsing: "every 5m")
        configuration.schedule.monthlyReport = try Schedule(parsing: "every 3m")
        configuration.mail = MailSettings(url: server.url, tls: .off, from: "leanstats@example.com", to: ["ops@x.com"])
        configuration.reportTo = ["boss@example.com"]
        let sync = FakeSync()
        let log = Locked<[String]>([])
        let runner = try ServiceRunner(
            configuration: configuration,
            clock: { clock.now },
            log: { line in log.withLock { $0.append(line) } },
            sync: { mode in try sync.next(mode) }
        )
        #expect(await runner.tick().isEmpty)
        // Six minutes, ticking every 20 seconds.
        var jobs: [ServiceJob] = []
        for step in 1...18 {
            clock.set(start + Int64(step) * 20)
            jobs += await runner.tick().map(\.job)
        }
        #expect(
            jobs == [
                .dailySync, .dailySync, .dailySync, .monthlyReport, .dailySync, .weeklyFullSync, .dailySync,
                .monthlyReport,
            ]
        )
        #expect(
            sync.calls.withLock { $0 } == [.incremental, .incremental, .incremental, .incremental, .full, .incremental]
        )
        // Down for half an hour: one full sync (the daily folded in) and one report, both logged as catch-ups.
        clock.set(start + 36 * 60 + 30)
        let caughtUp = await runner.tick()
        #expect(caughtUp.map(\.job) == [.weeklyFullSync, .monthlyReport])
        #expect(caughtUp.map(\.fireTime) == [start - 5 + 35 * 60, start - 5 + 36 * 60])
        #expect(log.withLock { $0 }.filter { $0.contains("(catch-up) started") }.count == 2)
        clock.set(start + 36 * 60 + 50)
        #expect(await runner.tick().isEmpty)
        // Every report run mailed last month's workbook.
        #expect(server.messages.filter { $0.recipients == ["boss@example.com"] }.count == 3)
    }

    @Test func aSlowQueryDuringASyncIsRememberedAfterTheSync() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-runner")
        defer { directory.remove() }
        let server = try TestSMTPServer()
        defer { server.stop() }
        let clock = TestClock(zone.parseLocal("2025-11-25 12:00")!)
        let runnerBox = Locked<ServiceRunner?>(nil)
        let logged = Locked<[String]>([])
        var configuration = ServiceConfiguration(dataDirectory: directory.path, zone: zone)
        configuration.mail = MailSettings(url: server.url, tls: .off, from: "leanstats@example.com", to: ["ops@x.com"])
        configuration.thresholds.limits = [.queryLatency: 100]
        configuration.origin = "plant-1"
        let runner = try ServiceRunner(
            configuration: configuration,
            clock: { clock.now },
            log: { line in logged.withLock { $0.append(line) } },
            sync: { _ in
                // The dashboard answers a slow query while the sync runs.
                await runnerBox.withLock { $0 }?.observeQueryLatency(milliseconds: 500)
                return SyncRunResult(line: "sync finished")
            }
        )
        runnerBox.withLock { $0 = runner }
        await runner.tick()
        clock.set(zone.parseLocal("2025-11-26 02:00")!)
        #expect(await runner.tick().map(\.job) == [.dailySync])
        // The sync's own alert bookkeeping did not undo the crossing: a second slow query is not mailed again.
        await runner.observeQueryLatency(milliseconds: 600)
        await runner.observeQueryLatency(milliseconds: 20)
        #expect(
            subjects(server) == [
                "[plant-1] query latency 超过阈值 / query latency above 100 ms",
                "[plant-1] query latency 已恢复 / query latency back under 100 ms",
            ],
            "\(logged.withLock { $0 })"
        )
    }

    @Test func withoutCredentialsTheServiceStartsWithScheduledSyncOff() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-runner")
        defer { directory.remove() }
        let log = Locked<[String]>([])
        let clock = TestClock(zone.parseLocal("2025-11-25 12:00")!)
        let runner = try ServiceRunner(
            configuration: ServiceConfiguration(dataDirectory: directory.path, zone: zone),
            clock: { clock.now },
            log: { line in log.withLock { $0.append(line) } }
        )
        #expect(log.withLock { $0 }.contains { $0.contains("scheduled sync is off") })
        await runner.tick()
        clock.set(zone.parseLocal("2025-12-01 09:00")!)
        let runs = await runner.tick()
        // Only the report runs; with an empty store it fails and says why.
        #expect(runs.map(\.job) == [.monthlyReport])
        #expect(runs.first?.outcome == .failed && runs.first?.summary.contains("no data") == true)
    }
}
