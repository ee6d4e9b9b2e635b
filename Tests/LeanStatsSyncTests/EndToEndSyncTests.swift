import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSnapshot
import Testing

@testable import LeanStatsSync

/// Syncs over real HTTP, through the real client (libcurl), from the emulator with every fault kind enabled.
struct EndToEndSyncTests {
    @Test(arguments: [DingTalkAPI.v1, .legacy])
    func aSyncThroughEveryFaultKindGivesExactlyTheEmulatorsInstances(api: DingTalkAPI) async throws {
        var options = SyncHarness.fastEmulator(qps: 120)
        options.faults = FaultPlan(
            failEvery: 7,
            throttleEvery: 11,
            expireTokenEvery: 13,
            slowEvery: 37,
            garbageEvery: 17,
            slowMilliseconds: 700
        )
        let harness = try SyncHarness(records: SyncHarness.newest(300), options: options)
        defer { harness.tearDown() }
        var settings = harness.settings(api: api, qps: 100)
        settings.timeoutSeconds = 0.4
        // About a third of all requests fail here; twelve retries make a call that fails them all (p ≈ 0.32¹³)
        // vanishingly rare.
        settings.retries = 12
        let summary = try await harness.engine(settings).run(.full)

        let stored = try SyncHarness.stored(harness.store())
        #expect(stored == harness.expected(api: api))
        #expect(Set(stored.map(\.instanceId)).count == stored.count, "duplicate rows")
        #expect(summary.fetched == 300 && summary.inserted == 300 && summary.failed == 0)
        #expect(summary.stop == nil)
        #expect(summary.retries > 0)
        let statistics = harness.emulator.statistics
        for kind in ["fail", "throttle", "expire", "slow", "garbage"] {
            #expect((statistics.faults[kind] ?? 0) > 0, "no \(kind) fault was injected")
        }
        #expect(statistics.qpsRejections == 0, "the client exceeded the emulator's QPS limit")
        for api in statistics.arrivals.keys {
            #expect(statistics.busiestSecond(of: api) <= 100, "\(api) saw more than sync.qps calls in a second")
        }
    }

    @Test func theStoreAndItsMetadataHoldNoSecret() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(40))
        defer { harness.tearDown() }
        var settings = harness.settings(api: .legacy)
        settings.appSecret = harness.emulator.options.appSecret
        _ = try await harness.engine(settings).run(.full)
        let metadata = try SyncHarness.metadata(harness.store())
        let secret = harness.emulator.options.appSecret
        for (key, value) in metadata {
            #expect(!value.contains(secret), "metadata \(key) holds the app secret")
            #expect(!value.contains("access_token"), "metadata \(key) mentions a token")
        }
        #expect(metadata["sync.state"] != nil && metadata["sync.quota"] != nil && metadata["contacts.users"] != nil)
        for name in try FileManager.default.contentsOfDirectory(atPath: harness.store()) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: harness.store() + "/" + name))
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name) holds the app secret")
        }
        #expect(!settings.description.contains(secret))
    }

    @Test func contactsNamesAndDepartmentSizesAreCachedInTheStore() async throws {
        let records = SyncHarness.newest(60)
        let harness = try SyncHarness(records: records)
        defer { harness.tearDown() }
        _ = try await harness.engine(harness.settings(api: .v1)).run(.full)
        let metadata = try SyncHarness.metadata(harness.store())
        let users = try JSONDecoder().decode(
            [String: ContactsDirectory.User].self,
            from: Data((metadata[ContactsDirectory.usersKey] ?? "{}").utf8)
        )
        let departments = try JSONDecoder().decode(
            [String: ContactsDirectory.Department].self,
            from: Data((metadata[ContactsDirectory.departmentsKey] ?? "{}").utf8)
        )
        #expect(users.count == Set(records.compactMap(\.originatorUserId)).count)
        for record in records {
            #expect(users[record.originatorUserId!]?.name == record.originatorUserName)
        }
        let members = Dictionary(grouping: records, by: { $0.originatorDeptId ?? "" })
            .mapValues { Set($0.compactMap(\.originatorUserId)).count }
        for (id, department) in departments {
            #expect(department.memberCount == members[id] ?? 0, "member count of department \(id)")
        }
        #expect(!departments.isEmpty)
        // The last run's duration and answers by API and outcome feed /metrics.
        let lastRun = try #require(SyncRunRecord.decode(from: metadata))
        #expect(lastRun.durationSeconds > 0)
        #expect(lastRun.outcomes.values.contains { ($0["ok"] ?? 0) > 0 })
        // participation_rate reads member counts by department name from the same cache.
        let headcounts = DepartmentHeadcounts.decode(from: metadata)
        #expect(!headcounts.isEmpty)
        for department in departments.values {
            if let name = department.name, let members = department.memberCount {
                #expect((headcounts[name] ?? 0) >= members, "headcount of \(name)")
            }
        }
    }
}

/// Listing follows DingTalk's cap on ids per query loop by splitting windows.
struct ListingCapTests {
    @Test(arguments: [DingTalkAPI.v1, .legacy])
    func aWindowWhoseListingReachesTheCapIsSplitUntilEveryInstanceIsListed(api: DingTalkAPI) async throws {
        var options = SyncHarness.fastEmulator()
        options.listCap = 60
        let harness = try SyncHarness(records: SyncHarness.newest(300), options: options)
        defer { harness.tearDown() }
        var settings = harness.settings(api: api)
        settings.listCap = 60
        let summary = try await harness.engine(settings).run(.full)
        #expect(try SyncHarness.stored(harness.store()) == harness.expected(api: api))
        #expect(summary.windows > 8, "the newest window was split")
        #expect(summary.fetched == 300)
    }
}
