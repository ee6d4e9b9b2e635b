import Foundation
import LeanStatsEmulator
import Testing

@testable import LeanStatsSync

/// An invalid or expired token is refreshed once, however many calls notice it at the same time.
struct TokenRefreshTests {
    @Test(arguments: [DingTalkAPI.v1, .legacy])
    func tokenExpiryDuringConcurrentRequestsCausesExactlyOneRefresh(api: DingTalkAPI) async throws {
        let records = SyncHarness.newest(30)
        // Every answer waits 300 ms, so all sixteen calls are in flight together when the token expires, however
        // busy the machine is.
        var options = SyncHarness.fastEmulator()
        options.faults.slowEvery = 1
        options.faults.slowMilliseconds = 300
        let harness = try SyncHarness(records: records, options: options)
        defer { harness.tearDown() }
        let client = DingTalkClient(settings: harness.settings(api: api), transport: CurlTransport(timeoutSeconds: 5))
        try await client.authenticate()
        #expect(harness.emulator.statistics.tokensIssued == 1)
        harness.emulator.expireToken()
        let ids = records.map(\.instanceId)
        let bodies = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for id in ids.prefix(16) { group.addTask { try await client.instanceDetail(id) } }
            var bodies: [[UInt8]] = []
            for try await body in group { bodies.append(body) }
            return bodies
        }
        #expect(bodies.count == 16)
        #expect(harness.emulator.statistics.tokensIssued == 2, "one refresh for all the rejected calls")
        let statistics = await client.statistics
        #expect(statistics.tokenFetches == 2)
        #expect(statistics.tokenRejections >= 2, "several calls should have seen the expired token")
    }

    @Test func aTokenIsReusedUntilShortlyBeforeItExpires() async throws {
        let clock = ManualInstant()
        let fetches = FetchCounter()
        let cache = AccessTokenCache(
            now: { clock.now },
            fetch: { () async throws(SyncError) -> (token: String, lifetime: Int) in
                (token: "token-\(fetches.next())", lifetime: 7200)
            }
        )
        #expect(try await cache.token() == "token-1")
        clock.advance(.seconds(6500))
        #expect(try await cache.token() == "token-1", "still well within its lifetime")
        clock.advance(.seconds(100))
        #expect(try await cache.token() == "token-2", "refreshed ten minutes before expiry")
        #expect(await cache.fetches == 2)
    }

    @Test func manyRejectionsOfOneTokenCauseOneRefreshAndThreeUnusedTokensInARowGiveUp() async throws {
        let fetches = FetchCounter()
        let cache = AccessTokenCache { () async throws(SyncError) -> (token: String, lifetime: Int) in
            try? await Task.sleep(for: .milliseconds(20))
            return (token: "token-\(fetches.next())", lifetime: 7200)
        }
        let first = try await cache.token()
        await cache.succeeded(with: first)
        for _ in 0..<8 { #expect(await cache.reject(first) == .refresh) }
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await cache.token() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens == ["token-2"])
        #expect(await cache.fetches == 2)
        #expect(await cache.reject("token-2") == .refresh, "one unused token may be unlucky")
        let third = try await cache.token()
        #expect(await cache.reject(third) == .refresh, "two may be unlucky too while many calls are in flight")
        #expect(await cache.reject(third) == .refresh, "the same token rejected again is not a new one")
        let fourth = try await cache.token()
        #expect(await cache.reject(fourth) == .giveUp, "three fresh tokens rejected in a row")
    }
}

extension TokenRefreshTests {
    @Test func stoppingTheSyncCancelsATokenFetchStillRetrying() async throws {
        // A token API that keeps failing: the fetch would retry for ten seconds and then give up with a server
        // error, unless it is cancelled. (The outcome is checked, not the time: a busy test run may stall tasks.)
        let cache = AccessTokenCache { () async throws(SyncError) -> (token: String, lifetime: Int) in
            for _ in 0..<1000 {
                do {
                    try await Task.sleep(for: .milliseconds(10))
                } catch {
                    throw SyncError(.cancelled, "the sync was interrupted")
                }
            }
            throw SyncError(.server, "DingTalk kept failing")
        }
        let waiter = Task { () async throws(SyncError) -> String in try await cache.token() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        let result = await waiter.result
        #expect(throws: SyncError(.cancelled, "the sync was interrupted")) { try result.get() }
        // A later sync fetches afresh.
        #expect(await cache.fetches == 0)
    }
}

/// A monotonic instant that moves only when told to.
final class ManualInstant: @unchecked Sendable {
    private let lock = NSLock()
    private var instant = ContinuousClock.now

    var now: ContinuousClock.Instant {
        lock.lock()
        defer { lock.unlock() }
        return instant
    }

    func advance(_ duration: Duration) {
        lock.lock()
        instant += duration
        lock.unlock()
    }
}

/// Counts fetches.
final class FetchCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
