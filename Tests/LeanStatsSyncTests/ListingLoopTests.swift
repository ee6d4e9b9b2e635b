import Foundation
import LeanStatsCore
import LeanStatsEmulator
import Testing

@testable import LeanStatsSync

/// A listing whose pagination never ends is stopped after a few calls with an error that names the process code
/// and the window, in both API families, and the store keeps what it had.
struct ListingLoopTests {
    static let cases: [(DingTalkAPI, FaultPlan.ListingLoop)] = DingTalkAPI.allCases.flatMap { api in
        FaultPlan.ListingLoop.allCases.map { (api, $0) }
    }

    @Test(arguments: cases)
    func aLoopingListingStopsWithinAFewCallsAndNamesTheWindow(
        _ api: DingTalkAPI,
        _ loop: FaultPlan.ListingLoop
    ) async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(30))
        defer { harness.tearDown() }
        let settings = harness.settings(api: api)
        let first = try await harness.engine(settings).run(.full)
        #expect(first.stop == nil)
        let before = try SyncHarness.stored(harness.store())
        #expect(before.count == 30)
        let quotaBefore = harness.emulator.statistics.quotaCalls

        try harness.emulator.setFaults(FaultPlan(listingLoop: loop))
        let error = await #expect(throws: SyncError.self) {
            _ = try await harness.engine(settings).run(.full)
        }
        #expect(error?.code == .invalidResponse)
        let message = error?.message ?? ""
        let code = harness.emulator.options.processCode
        #expect(message.hasPrefix("the listing of \(code) for 20"), "\(message)")
        #expect(message.contains(" (Beijing time) does not end: "))
        switch loop {
        case .repeatedCursor:
            #expect(message.contains("page 2 named the cursor 20 again"))
            #expect(message.contains("the sync stopped it after 2 calls instead of spending the monthly call budget"))
        case .endlessCursor:
            #expect(message.contains("3 pages in a row named a next cursor but brought no new instance id"))
            #expect(message.contains("the sync stopped it after 5 calls"))
        }
        #expect(harness.emulator.statistics.quotaCalls - quotaBefore <= 5, "the budget was not spent")
        #expect(try SyncHarness.stored(harness.store()) == before, "the store keeps what it had")
    }

    @Test func aListingThatKeepsBringingNewIdsStopsAfterThePagesTheListCapNeeds() throws {
        let window = SyncWindow(processCode: "PROC-X", start: 1_764_000_000_000, end: 1_764_086_399_999)
        var loopGuard = ListingGuard(window: window, listCap: 40, zone: try ZoneClock(identifier: "Asia/Shanghai"))
        #expect(loopGuard.pageLimit == 4)
        var thrown: SyncError?
        for page in 0..<10 where thrown == nil {
            let ids = (0..<20).map { "id-\(page)-\($0)" }
            do {
                try loopGuard.check(InstanceIdPage(ids: ids, nextCursor: Int64(page + 1) * 20))
            } catch {
                thrown = error
            }
        }
        let error = try #require(thrown)
        #expect(
            error.message
                == "the listing of PROC-X for 2025-11-25 00:00:00–2025-11-25 23:59:59 (Beijing time) does not end: it "
                + "still named a next cursor after 4 pages, more than 2 are needed for sync.list_cap ids; the sync "
                + "stopped it after 4 calls instead of spending the monthly call budget, and the store keeps what it "
                + "had; try again later, and report it to DingTalk if it persists"
        )
    }

    @Test func aListingThatEndsNormallyPassesTheGuard() throws {
        let window = SyncWindow(processCode: "PROC-X", start: 0, end: 86_399_999)
        var loopGuard = ListingGuard(window: window, listCap: 10_000, zone: try ZoneClock(identifier: "Asia/Shanghai"))
        for page in 0..<500 {
            let ids = (0..<20).map { "id-\(page)-\($0)" }
            try loopGuard.check(InstanceIdPage(ids: ids, nextCursor: page == 499 ? nil : Int64(page + 1) * 20))
        }
    }
}
