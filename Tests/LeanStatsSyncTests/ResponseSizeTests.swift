import Foundation
import LeanStatsEmulator
import Testing

@testable import LeanStatsSync

/// No response can make the sync hold more than `sync.max_response_mib` of body in memory: endless bodies,
/// decompression bombs and oversized declared lengths all end the transfer with an error that names the URL and
/// the limit.
struct ResponseSizeTests {
    static let limit = 1 << 20

    private func expectTooLarge(
        _ transport: CurlTransport,
        _ url: String,
        shownAs shown: String
    ) async throws {
        let error = await #expect(throws: TransportError.self) {
            _ = try await transport.send(HTTPRequest(method: .get, url: url))
        }
        #expect(error?.kind == .tooLarge)
        #expect(error?.message == "the response from \(shown) is larger than \(Self.limit) bytes")
        #expect(error?.isTransient == false, "retrying would download it all again")
    }

    /// Why a sync stopped, whether it threw (while listing, before anything is written) or reported it.
    static func stop(of engine: SyncEngine) async -> SyncError? {
        do {
            return try await engine.run(.full).stop
        } catch {
            return error
        }
    }

    @Test func anEndlessBodyIsCutOffOnceItPassesTheLimit() async throws {
        let server = try StreamingServer(
            headers: ["Content-Type: application/json", "Connection: close"],
            chunk: Array(repeating: UInt8(ascii: "x"), count: 4096)
        )
        defer { server.stop() }
        let transport = CurlTransport(timeoutSeconds: 20, maximumResponseBytes: Self.limit)
        try await expectTooLarge(
            transport,
            server.baseURL + "/gettoken?appkey=k&appsecret=never-shown",
            shownAs: server.baseURL + "/gettoken"
        )
        // What the server got rid of is what the client read plus what the sockets' buffers hold.
        #expect(server.bodyBytesSent >= Self.limit)
        #expect(server.bodyBytesSent < Self.limit + (16 << 20), "the client stopped reading near the limit")
    }

    @Test func anEndlessGzipStreamIsCutOffOnceItsInflatedSizePassesTheLimit() async throws {
        // A member of 1 + 9 × 258 zeros: 10 header bytes, 3 bytes up to the first back-reference, then 13 bytes
        // that hold 8 back-references of 258 zeros each, repeated forever.
        let sample = GzipBomb.zeros(count: 1 + 9 * 258)
        let server = try StreamingServer(
            headers: ["Content-Type: application/json", "Content-Encoding: gzip", "Connection: close"],
            prefix: Array(sample[0..<13]),
            chunk: Array(sample[13..<26])
        )
        defer { server.stop() }
        let transport = CurlTransport(timeoutSeconds: 20, maximumResponseBytes: Self.limit)
        try await expectTooLarge(
            transport,
            server.baseURL + "/topapi/processinstance/get",
            shownAs: server.baseURL + "/topapi/processinstance/get"
        )
        #expect(server.bodyBytesSent < 16 << 20, "a few kilobytes inflate past the limit")
    }

    @Test func oversizedAnswersOfTheEmulatorAreRefusedAndSmallerOnesArriveWhole() async throws {
        let records = SyncHarness.newest(5)
        var options = SyncHarness.fastEmulator()
        options.faults = FaultPlan(oversizeEvery: 1, oversizeBytes: 300_000)
        let harness = try SyncHarness(records: records, options: options)
        defer { harness.tearDown() }
        let url = harness.server.baseURL + "/gettoken"
        let roomy = CurlTransport(timeoutSeconds: 5, maximumResponseBytes: Self.limit)
        let declared = try await roomy.send(HTTPRequest(method: .get, url: url))
        #expect(declared.body.count == 300_000)
        let inflated = try await roomy.send(HTTPRequest(method: .get, url: url))
        #expect(inflated.body.count == 300_000, "the gzip bomb is a valid stream of zeros")
        #expect(inflated.body.allSatisfy { $0 == 0 })

        try harness.emulator.setFaults(FaultPlan(oversizeEvery: 1, oversizeBytes: 4 << 20))
        let tight = CurlTransport(timeoutSeconds: 5, maximumResponseBytes: Self.limit)
        try await expectTooLarge(tight, url, shownAs: url)
        try await expectTooLarge(tight, url, shownAs: url)
        #expect(harness.emulator.statistics.faults["oversize"] == 4)
    }

    @Test(arguments: DingTalkAPI.allCases)
    func aSyncThatMeetsAnOversizedAnswerStopsWithAClearErrorAndKeepsTheStore(_ api: DingTalkAPI) async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(40))
        defer { harness.tearDown() }
        var settings = harness.settings(api: api)
        settings.maxResponseMebibytes = 1
        let first = try await harness.engine(settings).run(.full)
        #expect(first.stop == nil)
        let before = try SyncHarness.stored(harness.store())
        #expect(before == harness.expected(api: api))

        // One request at a time, so each run stops at its first oversized answer: the first run meets the declared
        // length, the second the gzip bomb.
        settings.concurrency = 1
        settings.contacts = false
        try harness.emulator.setFaults(FaultPlan(oversizeEvery: 5, oversizeBytes: 8 << 20))
        let urlKey = api == .v1 ? "dingtalk.api_url" : "dingtalk.oapi_url"
        for variant in ["declared length", "gzip bomb"] {
            let stop = try #require(await Self.stop(of: harness.engine(settings)), "\(variant)")
            #expect(stop.code == .invalidResponse)
            #expect(stop.message.hasPrefix("the response from \(harness.server.baseURL)/"))
            #expect(stop.message.contains(" is larger than 1048576 bytes; DingTalk's answers are far smaller"))
            #expect(stop.message.contains("check that \(urlKey) points at DingTalk"))
            #expect(stop.message.contains("raise sync.max_response_mib"))
            #expect(try SyncHarness.stored(harness.store()) == before, "\(variant): the store is unchanged")
        }
        #expect(harness.emulator.statistics.faults["oversize"] == 2)
    }
}
