import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSync

/// `leanstats sync --plan`: the projected monthly calls of the scheduled syncs, from the store's observed rates.
struct QuotaPlannerTests {
    /// A store holding ``steadyPlant(perMonth:open:processingDays:)``.
    private func plantStore(_ directory: TemporaryDirectory) throws -> String {
        var builder = InstanceTableBuilder()
        for record in steadyPlant() { _ = builder.upsert(record) }
        let path = directory.file("store")
        _ = try SnapshotStore(directory: path).write(builder.build())
        return path
    }

    private func engine(_ path: String, budget: Int = 5000) throws -> SyncEngine {
        var settings = SyncSettings()
        settings.monthlyCallBudget = budget
        return SyncEngine(settings: settings, directory: path, zone: try ZoneClock(identifier: "Asia/Shanghai"))
    }

    @Test func theRatesAreReadFromTheLastThreeFullMonthsBeforeTheNewestInstance() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-plan")
        defer { directory.remove() }
        let table = try #require(try SnapshotStore(directory: try plantStore(directory)).loadLatest()?.table)
        let rates = QuotaPlanner.rates(of: table, zone: try ZoneClock(identifier: "Asia/Shanghai"))
        #expect(rates.newPerMonth == 1000)
        #expect(rates.months == ["2025-09", "2025-10", "2025-11"])
        #expect(rates.open == 300)
        #expect(rates.medianProcessingDays == 5)
    }

    @Test func aDailyIncrementalSyncCostsWhatTheEngineWouldCall() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-plan")
        defer { directory.remove() }
        let plan = try engine(try plantStore(directory))
            .quotaPlan(SyncCadence(incrementalPerMonth: 365.25 / 12, fullPerMonth: 0))
        // Per sync: 1000 / 30.4375 = 32.9 new instances in 2 listing pages, 32.9 details, 300 open re-fetches.
        #expect(plan.components.map(\.monthly) == [61, 1000, 9132])
        #expect(plan.monthlyCalls == 10_193)
        #expect(plan.headroom == -5193)
        #expect(plan.isOverBudget)
        #expect(plan.projectedPushes == 0 && plan.pushBudget == 3000)
        // Every 2 days: 4 pages + 1000 + 300 × 15.2 = 5627 calls; every 3 days: 5 pages + 1000 + 300 × 10.1 = 4095.
        #expect(
            plan.suggestion
                == QuotaSuggestion(
                    incrementalEveryDays: 3,
                    fullPerMonth: 0,
                    keepsFullSchedule: true,
                    monthlyCalls: 4095
                )
        )
        #expect(
            plan.report.contains("total: 10193 API calls a month; budget 5000 (sync.monthly_call_budget), 5193 over")
        )
        #expect(plan.report.contains("to fit: incremental sync every 3 days (schedule.daily = \"every 72h\")"))
    }

    @Test func aWeeklyFullSyncListsAYearAndFetchesEverythingItLists() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-plan")
        defer { directory.remove() }
        let fulls = 365.25 / 12 / 7
        let plan = try engine(try plantStore(directory), budget: 100_000)
            .quotaPlan(SyncCadence(incrementalPerMonth: 0, fullPerMonth: fulls))
        // 365 days less 10 minutes in windows of 120, 120, 120 and 4.99 days at 32.85 instances a day:
        // 198 + 198 + 198 + 9 pages, and 32.85 × 364.993 = 11,991.6 details.
        let perDay = 1000 / (365.25 / 12)
        let year = 365 - 10.0 / 1440
        #expect(plan.components.map(\.name) == ["full listing", "full details"])
        #expect(plan.components[0].monthly == Int((603 * fulls).rounded(.up)))
        #expect(plan.components[1].monthly == Int((perDay * year * fulls).rounded(.up)))
        #expect(!plan.isOverBudget && plan.suggestion == nil)
    }

    @Test func whenNothingFitsThePlanSaysToRaiseTheBudget() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-plan")
        defer { directory.remove() }
        let plan = try engine(try plantStore(directory))
            .quotaPlan(SyncCadence(incrementalPerMonth: 365.25 / 12, fullPerMonth: 365.25 / 12 / 7))
        #expect(plan.isOverBudget && plan.suggestion == nil)
        #expect(plan.report.contains("to fit: no schedule fits; raise sync.monthly_call_budget"))
    }

    @Test func anEmptyStoreProjectsOnlyTheListing() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-plan")
        defer { directory.remove() }
        let plan = try engine(directory.file("empty")).quotaPlan(SyncCadence(incrementalPerMonth: 30, fullPerMonth: 0))
        #expect(plan.monthlyCalls == 30)
        #expect(!plan.isOverBudget)
    }

    @Test func thePlannedCallsOfAnIncrementalSyncAreTheCallsTheSyncMakes() async throws {
        let records = SyncHarness.newest(200)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        let settings = harness.settings(api: .v1)
        _ = try await harness.engine(settings).run(.incremental)

        let now = harness.emulator.clock.now() / 1000
        for record in records.filter({ $0.status == .running }).prefix(5) {
            harness.emulator.update(record.instanceId) { instance in
                instance.status = .completed
                instance.result = .agree
                instance.finishTime = now - 600
            }
        }
        harness.emulator.clock.advance(byMilliseconds: 6 * 3_600_000)
        var newcomers = records.suffix(25).map { $0 }
        for index in newcomers.indices {
            newcomers[index].createTime = now + 600 + Int64(index) * 60
            newcomers[index].instanceId = "PLANNED\(index)x\(newcomers[index].createTime)"
            newcomers[index].businessId = nil
        }
        harness.emulator.insert(newcomers)

        let table = try #require(try SnapshotStore(directory: harness.store()).loadLatest()?.table)
        let rates = QuotaPlanner.rates(of: table, zone: try ZoneClock(identifier: "Asia/Shanghai"))
        let planned = QuotaPlanner.incrementalCalls(
            newInstances: Double(newcomers.count),
            open: rates.open,
            processCodes: settings.processCodes.count
        )
        #expect(planned.listing == 2, "25 new ids are two pages of 20")
        let summary = try await harness.engine(settings).run(.incremental)
        #expect(summary.fetched == Int(planned.newDetails + planned.openDetails))
        let plannedCalls = Int(planned.listing + planned.newDetails + planned.openDetails)
        // The listing also returns what was created in the overlap before the cursor: at most a page more.
        #expect(abs(summary.quotaCalls - plannedCalls) <= 1, "planned \(plannedCalls), made \(summary.quotaCalls)")
    }
}

/// `leanstats sync --plan` as operators run it: the numbers on stdout, exit 3 when over the budget.
struct QuotaPlanCommandTests {
    private func plan(budget: Int, pushBudget: Int = 2500, stream: Bool = false) throws -> CommandOutput {
        let directory = try TemporaryDirectory(prefix: "leanstats-plan-cli")
        defer { directory.remove() }
        var builder = InstanceTableBuilder()
        for record in steadyPlant() { _ = builder.upsert(record) }
        _ = try SnapshotStore(directory: directory.file("store")).write(builder.build())
        let config = try directory.write(
            "leanstats.toml",
            """
            [sync]
            monthly_call_budget = \(budget)
            monthly_push_budget = \(pushBudget)
            stream = \(stream)
            [schedule]
            daily = "02:00"
            weekly_full = "every 2160h"

            """
        )
        return try LeanStats.run(["sync", "--plan", "--config", config, "--data", directory.file("store")])
    }

    @Test func overTheBudgetThePlanExits3AndSaysWhatWouldFit() throws {
        let result = try plan(budget: 9000)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("polling (the [schedule]), in use:\n"))
        // Daily: 61 + 1000 + 9132; a full sync every 90 days: (603 + 11,991.6) × 0.338 = 204 + 4056.
        #expect(
            result.stdout.contains("total: 14453 API calls a month; budget 9000 (sync.monthly_call_budget), 5453 over")
        )
        #expect(result.stdout.contains("  incremental open re-fetch  300 calls × 30.4 syncs = 9132 a month"))
        #expect(result.stdout.contains("pushes: 0 projected of 2500 (sync.monthly_push_budget)"))
        #expect(result.stdout.contains("one push per instance change"))
        #expect(
            result.stdout.contains("to fit: incremental sync every 3 days (schedule.daily = \"every 72h\") would need")
        )
    }

    @Test func withStreamOnTheEventPlanDecidesTheExitStatusWhateverPollingWouldCost() throws {
        // Polling needs 14,453 calls; events + catch-up every 12 h about 1,100.
        let fits = try plan(budget: 9000, stream: true)
        #expect(fits.status == 0, "\(fits.stderr)")
        #expect(fits.stdout.contains("polling (the [schedule]):\n"))
        #expect(fits.stdout.contains("in use (sync.stream = true): events + catch-up every 12 h"))
        // About 1,000 new instances a month are about 2,000 pushes.
        let overPushes = try plan(budget: 9000, pushBudget: 1000, stream: true)
        #expect(overPushes.status == 3, "\(overPushes.stdout)")
        let overCalls = try plan(budget: 500, stream: true)
        #expect(overCalls.status == 3, "\(overCalls.stdout)")
        #expect(overCalls.stdout.contains("over"))
    }

    @Test func withinTheBudgetThePlanExits0() throws {
        let result = try plan(budget: 20_000)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("5547 to spare"))
        #expect(!result.stdout.contains("to fit"))
    }
}
