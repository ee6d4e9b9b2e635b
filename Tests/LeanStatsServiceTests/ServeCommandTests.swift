import Foundation
import LeanStatsCore
import LeanStatsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `leanstats serve` through the real executable: the scheduled jobs start beside the dashboard, and SIGTERM
/// stops both cleanly.
struct ServeCommandTests {
    /// Everything the child wrote to stderr so far, read as it arrives.
    private final class StderrCollector: Sendable {
        private let text = Locked("")

        init(_ pipe: Pipe) {
            pipe.fileHandleForReading.readabilityHandler = { [text] handle in
                let chunk = handle.availableData
                guard !chunk.isEmpty else {
                    handle.readabilityHandler = nil
                    return
                }
                text.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
            }
        }

        var current: String { text.withLock { $0 } }
    }

    /// Polls until `condition` holds or `seconds` pass.
    private func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// The port of the `serving … on http://127.0.0.1:PORT` line.
    private func servedPort(_ stderr: String) -> UInt16? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains(" serving ") }),
            let colon = line.range(of: "127.0.0.1:", options: .backwards)
        else { return nil }
        return UInt16(line[colon.upperBound...].prefix { $0.isNumber })
    }

    @Test func servesWithoutCredentialsAndStopsCleanlyOnSIGTERM() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-serve")
        defer { directory.remove() }
        _ = try ServiceFixtures.store(at: directory.file("data"), count: 30)
        let config = try directory.write(
            "leanstats.toml",
            """
            [server]
            token = "serve-test-token"
            [schedule]
            daily = "02:30"

            """
        )
        chmod(config, 0o600)
        let (process, _, errorPipe) = try LeanStats.start(
            ["serve", "--config", config, "--data", directory.file("data"), "--port", "0"]
        )
        let stderr = StderrCollector(errorPipe)
        defer { if process.isRunning { process.terminate() } }

        let started = wait(seconds: 5) { servedPort(stderr.current) != nil || !process.isRunning }
        let port = try #require(started ? servedPort(stderr.current) : nil, "\(stderr.current)")
        let warnings = stderr.current.split(separator: "\n").filter { $0.contains("scheduled sync is off") }
        #expect(warnings.count == 1, "\(stderr.current)")
        #expect(warnings.first?.hasPrefix("leanstats serve: warning: scheduled sync is off: ") == true)
        let health = try HTTPReply.exchange(
            port: port,
            request: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        #expect(health.statusLine.hasPrefix("HTTP/1.1 200"))

        kill(process.processIdentifier, SIGTERM)
        #expect(wait(seconds: 10) { !process.isRunning }, "\(stderr.current)")
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0, "\(stderr.current)")
        #expect(wait(seconds: 2) { stderr.current.contains("server stopped") }, "\(stderr.current)")
    }

    /// `leanstats serve` exited or printed no port.
    private struct ServeDidNotStart: Error, CustomStringConvertible {
        var log: String
        var description: String { "serve did not start: \(log)" }
    }

    /// Starts `leanstats serve` and waits for its port.
    private func startServe(
        _ arguments: [String],
        environment: [String: String] = [:]
    ) throws -> (process: Process, stderr: StderrCollector, port: UInt16) {
        let (process, _, errorPipe) = try LeanStats.start(
            ["serve"] + arguments + ["--port", "0"],
            environment: environment
        )
        let stderr = StderrCollector(errorPipe)
        let started = wait(seconds: 10) { servedPort(stderr.current) != nil || !process.isRunning }
        guard started, let port = servedPort(stderr.current) else {
            if process.isRunning { process.terminate() }
            throw ServeDidNotStart(log: stderr.current)
        }
        return (process, stderr, port)
    }

    /// One authenticated `/api/query` request.
    private func query(_ line: String, port: UInt16, token: String) throws -> HTTPReply {
        let encoded = line.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? line
        return try HTTPReply.exchange(
            port: port,
            request: "GET /api/query?q=\(encoded) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Connection: close\r\n\r\n"
        )
    }

    /// The decoded subjects of the mails the test server received.
    private func subjects(_ smtp: TestSMTPServer) -> [String] {
        smtp.messages.map { MailParsing.decodeWords(MailParsing.headers($0.data)["subject"] ?? "") }
    }

    @Test func aSlowServedQueryIsMailedOnceAndTheNextFastOneMailsTheRecovery() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-serve-latency")
        defer { directory.remove() }
        let generated = try LeanStats.run(["gen", "--rows", "50000", "--seed", "3", "--data", directory.file("data")])
        #expect(generated.status == 0, "\(generated.stderr)")
        let smtp = try TestSMTPServer()
        defer { smtp.stop() }
        let config = try directory.write(
            "leanstats.toml",
            """
            [server]
            token = "latency-token"
            [alerts]
            smtp_url = "\(smtp.url)"
            tls = "off"
            from = "LeanStats <leanstats@example.com>"
            to = ["ops@example.com"]
            [alerts.thresholds]
            query_latency_ms = 50

            """
        )
        chmod(config, 0o600)
        let serve = try startServe(["--config", config, "--data", directory.file("data")])
        defer { if serve.process.isRunning { serve.process.terminate() } }

        // Grouping 50,000 instances by user takes well over 50 ms in a debug build; listing them all is the
        // fallback on a machine fast enough to beat that.
        for line in ["by user count all", "by user count all", "list all"] {
            let reply = try query(line, port: serve.port, token: "latency-token")
            #expect(reply.status == 200)
            if wait(seconds: 3, until: { smtp.messages.count >= 1 }) { break }
        }
        #expect(subjects(smtp).count == 1, "\(serve.stderr.current)")
        #expect(subjects(smtp).first?.hasSuffix("query latency 超过阈值 / query latency above 50 ms") == true)
        #expect(smtp.messages.first?.recipients == ["ops@example.com"])

        // A month's overview takes a millisecond or two; one stalled by a busy machine is simply tried again.
        for _ in 0..<20 {
            let reply = try query("overview 2025-11", port: serve.port, token: "latency-token")
            #expect(reply.status == 200)
            if wait(seconds: 2, until: { smtp.messages.count >= 2 }) { break }
        }
        let mailed = subjects(smtp)
        #expect(mailed.count == 2, "\(mailed)")
        #expect(mailed.last?.hasSuffix("query latency 已恢复 / query latency back under 50 ms") == true, "\(mailed)")
        let log = serve.stderr.current
        #expect(log.contains("alert mailed: ") && log.contains("query latency above 50 ms"), "\(log)")

        kill(serve.process.processIdentifier, SIGTERM)
        #expect(wait(seconds: 10) { !serve.process.isRunning }, "\(serve.stderr.current)")
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 0)
        #expect(smtp.messages.count == 2)
    }
}
