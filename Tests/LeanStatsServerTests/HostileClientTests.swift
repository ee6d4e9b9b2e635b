import Foundation
import LeanStatsCore
import LeanStatsServer
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a slow, greedy or malicious client sends cannot take the dashboard server down: every case is answered (or
/// cut off) and the server keeps answering everyone else.
@Suite(.serialized) struct HostileClientTests {
    /// Short deadlines and small connection limits, so the cases run in a second or two.
    static func tightLimits(perClient: Int = 4, total: Int = 64) -> EdgeLimits {
        var limits = EdgeLimits()
        limits.headerTimeout = 1
        limits.bodyTimeout = 1
        limits.maximumConnectionsPerClient = perClient
        limits.maximumConnections = total
        return limits
    }

    static let healthRequest = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    @Test func slowClientsAreCutOffAndCannotCrowdOutOthers() async throws {
        let fixture = try await ServerFixture(limits: Self.tightLimits(perClient: 4))
        // Eight slowloris connections from one address: a partial request head each.
        var slow: [LoopbackConnection] = []
        for _ in 0..<8 {
            let connection = try LoopbackConnection(port: fixture.port)
            connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(connection)
        }
        // The four over the per-client limit are answered 503 at once. Which four depends on the order in which the
        // event loops admit them, not on the order of connecting; the admitted ones have nothing to read yet.
        var refused = 0
        var admitted: [LoopbackConnection] = []
        for connection in slow {
            guard connection.isReadable(within: 0.3), let reply = try? connection.readResponse() else {
                admitted.append(connection)
                continue
            }
            #expect(reply.status == 503)
            #expect(reply.text.contains("too many connections from your address (the limit is 4)"), "\(reply.text)")
            refused += 1
        }
        #expect(refused == 4)
        #expect(admitted.count == 4)
        // Another client is served meanwhile.
        let other = try LoopbackConnection(port: fixture.port, from: "127.0.0.2")
        other.send(Self.healthRequest)
        #expect(try other.readResponse().status == 200)
        // The slow ones are closed once the header deadline passes, though each keeps sending a byte.
        let started = Date()
        for connection in admitted {
            connection.send("a")
            #expect(connection.isClosedByServer(within: 3))
        }
        #expect(Date().timeIntervalSince(started) < 3)
        // Then the first address is served again.
        let reply = try fixture.poll("/healthz", token: nil) { $0.status == 200 }
        #expect(reply.status == 200)
    }

    @Test func connectionsOverTheTotalAreAnswered503AndClosed() async throws {
        let fixture = try await ServerFixture(limits: Self.tightLimits(perClient: 8, total: 2))
        let first = try LoopbackConnection(port: fixture.port)
        first.send(Self.healthRequest)
        let second = try LoopbackConnection(port: fixture.port, from: "127.0.0.3")
        second.send(Self.healthRequest)
        #expect(try first.readResponse().status == 200)
        #expect(try second.readResponse().status == 200)
        let third = try LoopbackConnection(port: fixture.port, from: "127.0.0.4")
        third.send(Self.healthRequest)
        let busy = try third.readResponse()
        #expect(busy.status == 503)
        #expect(busy.text == "the server is busy: all 2 connections are in use; try again in a moment\n")
        #expect(busy.headers["retry-after"] == "1")
        #expect(third.isClosedByServer(within: 2))
        first.close()
        second.close()
        #expect(try fixture.poll("/healthz", token: nil) { $0.status == 200 }.status == 200)
    }

    @Test func aBodyOverTheLimitIsRefusedBeforeItIsRead() async throws {
        let fixture = try await ServerFixture(limits: Self.tightLimits())
        let connection = try LoopbackConnection(port: fixture.port)
        connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n\r\n")
        connection.send([UInt8](repeating: 0x61, count: 64 << 10))
        let reply = try connection.readResponse()
        #expect(reply.status == 413)
        #expect(reply.text == "the request body of 5000000 bytes is larger than the limit of 65536 bytes\n")
        #expect(reply.headers["connection"] == "close")
        #expect(connection.isClosedByServer(within: 2))
    }

    @Test(arguments: [
        ("duplicate Content-Length", "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
        ("signed Content-Length", "Content-Length: +3\r\n\r\nabc"),
        ("Content-Length beside chunked", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("second Host", "Host: evil.example\r\n\r\n"),
        ("header without a colon", "NoColonHere\r\n\r\n"),
        ("oversized header", "X-Big: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"),
    ])
    func malformedRequestsAreRefusedWith400AndClosed(name: String, rest: String) async throws {
        let fixture = try await ServerFixture(limits: Self.tightLimits())
        let connection = try LoopbackConnection(port: fixture.port)
        connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + rest)
        let reply = try connection.readResponse()
        #expect(reply.status == 400, "\(name)")
        #expect(connection.isClosedByServer(within: 2), "\(name)")
        #expect(try fixture.get("/healthz", token: nil).status == 200)
    }

    @Test(arguments: [
        ("///evil.example/?token=\(ServerFixture.token)", "/"),
        ("//evil.example?token=\(ServerFixture.token)&period=2025-11", "/?period=2025-11"),
        ("/list%0D%0ASet-Cookie:%20x=1?token=\(ServerFixture.token)", "/"),
        ("/list?token=\(ServerFixture.token)&dept=%0D%0AX-Evil:%201", "/list?dept=%0D%0AX-Evil%3A%201"),
    ])
    func aTokenLinkRedirectsOnlyToAKnownPathOnThisHost(target: String, location: String) async throws {
        let fixture = try await ServerFixture()
        let reply = try fixture.get(target, token: nil)
        #expect(reply.status == 303)
        #expect(reply.headers["location"] == location)
        #expect(reply.headers["x-evil"] == nil)
        #expect(reply.headers["set-cookie"]?.hasPrefix("leanstats_session=") == true)
    }

    @Test func aSessionExpiresAfterItsLifetime() async throws {
        let now = Locked(1_800_000_000.0)
        let fixture = try await ServerFixture(sessionLifetime: 600, now: { now.withLock { $0 } })
        let opened = try fixture.get("/?token=\(ServerFixture.token)", token: nil)
        let cookie = try #require(opened.headers["set-cookie"])
        #expect(cookie.contains("Max-Age=600"))
        let session = String(cookie.split(separator: ";")[0])
        now.withLock { $0 += 599 }
        #expect(try fixture.get("/healthz", token: nil).status == 200)
        #expect(try fixture.get("/list", token: nil, headers: ["Cookie": session]).status == 200)
        now.withLock { $0 += 2 }
        #expect(try fixture.get("/list", token: nil, headers: ["Cookie": session]).status == 401)
        now.withLock { $0 -= 100 }
        #expect(
            try fixture.get("/list", token: nil, headers: ["Cookie": session]).status == 401,
            "an expired session is forgotten"
        )
    }

    @Test func aDamagedNewestGenerationIsReportedWhileTheOlderOneIsServed() async throws {
        let fixture = try await ServerFixture()
        let store = SnapshotStore(directory: fixture.directory.path)
        let fewer = Array(ServerFixture.records.prefix(100))
        #expect(try store.write(ServerFixture.table(fewer)) == 2)
        #expect(try fixture.poll("/healthz", token: nil) { $0.text.contains("\"generation\":2") }.status == 200)
        // A third generation arrives torn: one byte in its middle differs.
        var bytes = try #require(FileManager.default.contents(atPath: store.path(ofGeneration: 2)))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: store.path(ofGeneration: 3)))
        let health = try fixture.poll("/healthz", token: nil) { $0.status == 503 }
        #expect(health.status == 503)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(health.body)) as? [String: Any])
        #expect(object["status"] as? String == "damaged")
        #expect(object["damaged_generation"] as? Int == 3)
        #expect(object["generation"] as? Int == 2, "the newest generation that loads is served")
        #expect((object["error"] as? String)?.contains("snapshot-00000003.lsnap") == true, "\(object)")
        #expect(try fixture.get("/api/query?q=overview%20all").text.hasPrefix("{\"count\":100,"))
        let metrics = try fixture.get("/metrics", token: nil).text
        #expect(metrics.contains("leanstats_snapshot_damaged 1"))
        #expect(metrics.contains("leanstats_snapshot_damaged_generation 3"))
        // The damaged file is read once, not again on every check.
        usleep(300_000)
        #expect(try fixture.get("/metrics", token: nil).text.contains("leanstats_snapshot_load_failures_total 1"))
        // A newer good generation clears the damage.
        try store.write(ServerFixture.table())
        let healed = try fixture.poll("/healthz", token: nil) { $0.status == 200 }
        #expect(healed.text.contains("\"generation\":4"))
        #expect(try fixture.get("/metrics", token: nil).text.contains("leanstats_snapshot_damaged 0"))
    }

    /// Mutated requests (bytes flipped, cut, repeated, noise spliced in) over real sockets, from a fixed seed: each
    /// gets an answer or a closed connection within the deadline, and the server answers a clean request after
    /// every one of them.
    @Test func mutatedRequestsNeverTakeTheServerDown() async throws {
        var limits = Self.tightLimits(perClient: 64)
        limits.headerTimeout = 0.25
        limits.bodyTimeout = 0.25
        let fixture = try await ServerFixture(limits: limits)
        let seeds = [
            "GET /api/query?q=overview%20all HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(ServerFixture.token)"
                + "\r\n\r\n",
            "GET /list?period=2025-11&dept=%E7%94%9F HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: leanstats_session=x\r\n"
                + "\r\n",
            "GET /?token=\(ServerFixture.token)&period=2025-11 HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "POST /api/report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello",
        ].map { Array($0.utf8) }
        var random = SeededGenerator(seed: 20_261_205)
        var answered = 0
        for round in 0..<150 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0..<max(1, bytes.count), using: &random)
                switch Int.random(in: 0..<5, using: &random) {
                case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
                case 1: bytes.removeSubrange(at...)
                case 2: bytes.insert(contentsOf: bytes[at...].prefix(40), at: at)
                case 3: bytes.insert(UInt8.random(in: 0...255, using: &random), at: at)
                default: bytes.insert(contentsOf: Array("\r\n".utf8), at: at)
                }
            }
            let connection = try LoopbackConnection(port: fixture.port)
            connection.send(bytes)
            if let reply = try? connection.readResponse() {
                #expect((200..<600).contains(reply.status))
                answered += 1
            }
            connection.close()
        }
        #expect(answered > 0)
        #expect(try fixture.get("/healthz", token: nil).status == 200)
        #expect(try fixture.get("/api/query?q=overview%20all").status == 200)
    }
}
