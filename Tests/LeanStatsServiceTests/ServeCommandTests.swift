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
}
