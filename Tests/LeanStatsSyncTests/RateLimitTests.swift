import Foundation
import LeanStatsEmulator
import Testing

@testable import LeanStatsSync

/// `sync.qps` holds as the server measures it: no one-second window sees more calls of one API.
struct RateLimitTests {
    @Test func withQPSFiveNoSecondSeesMoreThanFiveCallsOfOneAPI() async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(24), options: SyncHarness.fastEmulator(qps: 5))
        defer { harness.tearDown() }
        var settings = harness.settings(api: .v1, qps: 5)
        settings.concurrency = 5
        let summary = try await harness.engine(settings).run(.full)
        #expect(summary.fetched == 24)
        let statistics = harness.emulator.statistics
        #expect(statistics.qpsRejections == 0)
        #expect(statistics.arrivals["v1.0/workflow/processInstances"]?.count == 24)
        for api in statistics.arrivals.keys {
            #expect(
                statistics.busiestSecond(of: api) <= 5,
                "\(api): \(statistics.busiestSecond(of: api)) calls in a second"
            )
        }
        #expect(
            statistics.busiestSecond(of: "v1.0/workflow/processInstances") == 5,
            "the limiter should use its budget"
        )
    }

    @Test func theLimiterReleasesTokensOneSecondAfterCallsComplete() async throws {
        let limiter = CallRateLimiter(limit: 3)
        let start = ContinuousClock.now
        var starts: [Duration] = []
        for _ in 0..<7 {
            try await limiter.acquire()
            starts.append(ContinuousClock.now - start)
            await limiter.release()
        }
        for index in 3..<starts.count {
            #expect(starts[index] - starts[index - 3] >= .seconds(1))
        }
    }
}
