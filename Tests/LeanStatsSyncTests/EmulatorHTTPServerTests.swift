import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsTestSupport
import Testing

/// The emulator's HTTP server refuses what would exhaust it: a body over the limit
/// (before reading it) and connections over the limit (without a thread for them), each with an answer the
/// client can read.
struct EmulatorHTTPServerTests {
    /// A server answering 200 with the body size, counting the requests its handler saw.
    private final class Counting: Sendable {
        let handled = Locked(0)
        let server: HTTPServer

        init(maximumBodyBytes: Int = 8 << 20, maximumConnections: Int = 64) throws {
            let handled = self.handled
            server = try HTTPServer(maximumBodyBytes: maximumBodyBytes, maximumConnections: maximumConnections) {
                request in
                handled.withLock { $0 += 1 }
                return HTTPServerResponse(status: 200, body: Array("\(request.body.count) bytes\n".utf8))
            }
            server.start()
        }

        deinit { server.stop() }
    }

    @Test func aBodyOverTheLimitIsRefusedBeforeItIsRead() throws {
        let counting = try Counting(maximumBodyBytes: 1000)
        let connection = try LoopbackConnection(port: counting.server.port)
        connection.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n\r\n")
        // Only the first 64 KiB of the announced 5 MB follow; the answer must not wait for the rest.
        connection.send([UInt8](repeating: 0x61, count: 64 << 10))
        let reply = try connection.readResponse()
        #expect(reply.status == 413)
        #expect(reply.text == "the request body of 5000000 bytes is larger than the limit of 1000 bytes\n")
        #expect(reply.headers["connection"] == "close")
        #expect(connection.readToEnd().isEmpty, "the server closes the connection after the answer")
        #expect(counting.handled.withLock { $0 } == 0)

        // At the limit it is read and handled.
        let body = String(repeating: "b", count: 1000)
        let accepted = try HTTPReply.exchange(
            port: counting.server.port,
            request: "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
                + body
        )
        #expect(accepted.status == 200 && accepted.text == "1000 bytes\n")
    }

    @Test func anOversizedBodyAnnouncedWithExpectContinueIsNeverAskedFor() throws {
        let counting = try Counting(maximumBodyBytes: 1000)
        let connection = try LoopbackConnection(port: counting.server.port)
        connection.send(
            "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n"
        )
        let reply = try connection.readResponse()
        #expect(reply.status == 413, "answered without 100 Continue first: \(reply.statusLine)")
        #expect(counting.handled.withLock { $0 } == 0)
    }

    @Test(arguments: [
        ("Transfer-Encoding: chunked\r\n", 411, "chunked bodies are not supported"),
        ("Content-Length: lots\r\n", 400, "the Content-Length header is not a number"),
    ])
    func bodiesItCannotReadAreRefusedWithAReason(header: String, status: Int, message: String) throws {
        let counting = try Counting()
        let reply = try HTTPReply.exchange(
            port: counting.server.port,
            request: "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n\(header)\r\n5\r\nhello\r\n0\r\n\r\n"
        )
        #expect(reply.status == status)
        #expect(reply.text.contains(message), "\(reply.text)")
        #expect(counting.handled.withLock { $0 } == 0)
    }

    @Test func connectionsOverTheLimitAreAnswered503AndClosed() throws {
        let counting = try Counting(maximumConnections: 3)
        let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        // Three keep-alive connections, each answered once, so all three are being served.
        var open: [LoopbackConnection] = []
        for _ in 0..<3 {
            let connection = try LoopbackConnection(port: counting.server.port)
            connection.send(request)
            #expect(try connection.readResponse().status == 200)
            open.append(connection)
        }
        let extra = try LoopbackConnection(port: counting.server.port)
        extra.send(request)
        let refused = try extra.readResponse()
        #expect(refused.status == 503)
        #expect(refused.text == "the server is busy: all 3 connections are in use; try again in a moment\n")
        #expect(refused.headers["connection"] == "close" && refused.headers["retry-after"] == "1")
        #expect(extra.readToEnd().isEmpty, "the refused connection is closed")
        #expect(counting.handled.withLock { $0 } == 3)

        // The open connections still work, and once one closes a new one is served.
        open[0].send(request)
        #expect(try open[0].readResponse().status == 200)
        open.removeLast().close()
        var served = false
        for _ in 0..<100 where !served {
            let reply = try HTTPReply.exchange(
                port: counting.server.port,
                request: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            served = reply.status == 200
            if !served { usleep(20_000) }
        }
        #expect(served)
    }
}
