import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsService
import LeanStatsSnapshot
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
        guard let line = stderr.split(separator: "\n").first(where: { $0.hasPrefix("leanstats: serving ") }),
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
        let (process, stderr, port) = try startServe(["--config", config, "--data", directory.file("data")])
        defer { if process.isRunning { process.terminate() } }

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

    /// Starts `leanstats serve` on a free port and waits until it serves.
    private func startServe(
        _ arguments: [String],
        environment: [String: String] = [:],
        port: UInt16 = 0
    ) throws -> (process: Process, stderr: StderrCollector, port: UInt16) {
        let (process, _, errorPipe) = try LeanStats.start(
            ["serve"] + arguments + ["--port", "\(port)"],
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

    /// `count` random instances moved into the 120 days before now, so that syncs on the real clock (as `serve`
    /// runs them) reach all of them.
    private static func recentInstances(count: Int) -> [InstanceRecord] {
        let first: Int64 = 1_704_038_400  // where randomInstances starts
        let origin = Int64(Date().timeIntervalSince1970) - 120 * 86_400
        return randomInstances(count: count, seed: 11).map { record in
            var record = record
            let created = (origin + (record.createTime - first) / 5) / 60 * 60
            record.finishTime = record.finishTime.map { created + ($0 - record.createTime) / 5 }
            record.createTime = created
            return record
        }
    }

    /// The number of instances in a store's newest snapshot.
    private func rowCount(_ directory: String) throws -> Int {
        try SnapshotStore(directory: directory).loadLatest()?.table.rowCount ?? 0
    }

    /// serve is stopped with SIGTERM while its scheduled sync is half-way through a slow DingTalk: it commits the
    /// batch in hand, exits 0 without calling that a failure, and the next sync finishes the job.
    @Test func sigtermDuringAScheduledSyncCommitsTheBatchAndTheNextSyncFinishes() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-serve-sigterm")
        defer { directory.remove() }
        var options = EmulatorOptions()
        options.qps = 400
        // Every answer takes 120 ms: listing 240 instances and fetching them four at a time takes seconds.
        options.faults = FaultPlan(slowEvery: 1, slowMilliseconds: 120)
        let records = Self.recentInstances(count: 240)
        let emulator = try DingTalkEmulator(
            dataset: EmulatorDataset(instances: records),
            options: options,
            clock: EmulatorClock()
        )
        let server = try EmulatorServer(emulator: emulator)
        defer { server.stop() }
        let config = try directory.write(
            "leanstats.toml",
            """
            [dingtalk]
            api = "v1"
            api_url = "\(server.baseURL)"
            oapi_url = "\(server.baseURL)"
            app_key = "\(options.appKey)"
            app_secret = "\(options.appSecret)"
            process_code = "\(options.processCode)"
            [sync]
            qps = 200
            concurrency = 4
            batch_size = 20
            contacts = false
            backoff_ms = 5
            backoff_max_ms = 40
            [server]
            token = "sigterm-token"

            """
        )
        chmod(config, 0o600)
        let data = directory.file("data")
        // The daily sync was last handled long ago, so serve catches it up at once instead of waiting for 02:00.
        let now = Int64(Date().timeIntervalSince1970)
        var schedule = SchedulerState()
        schedule.handled = ["daily": now - 3 * 86_400, "weekly_full": now, "monthly_report": now]
        try StateFile<SchedulerState>(path: data + "/serve-schedule.json").save(schedule)

        let serve = try startServe(["--config", config, "--data", data])
        defer { if serve.process.isRunning { serve.process.terminate() } }
        // Stop it as soon as the first batch is committed.
        let committed = wait(seconds: 15) {
            ((try? SnapshotStore(directory: data).loadLatest())??.table.rowCount ?? 0) > 0
        }
        #expect(committed, "\(serve.stderr.current)")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(wait(seconds: 10) { !serve.process.isRunning }, "\(serve.stderr.current)")
        serve.process.waitUntilExit()
        #expect(serve.process.terminationReason == .exit)
        #expect(serve.process.terminationStatus == 0, "\(serve.stderr.current)")
        // The last line; the log is complete once it arrived.
        #expect(wait(seconds: 10) { serve.stderr.current.contains("server stopped") })
        let log = serve.stderr.current
        #expect(log.contains("daily sync for "), "\(log)")
        #expect(
            log.contains(
                "leanstats serve: daily sync stopped for shutdown: the sync was interrupted and stopped after "
                    + "committing its batch: the "
            ),
            "\(log)"
        )
        #expect(!log.contains("daily sync failed") && !log.contains("alert (not mailed"), "\(log)")
        let saved = try rowCount(data)
        #expect(saved > 0 && saved < records.count, "the sync was not stopped half-way: \(saved) rows")

        let verify = try LeanStats.run(["snapshot", "verify", "--data", data])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        try emulator.setFaults(FaultPlan())
        let resumed = try LeanStats.run(["sync", "--config", config, "--data", data])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("sync finished (resumed)"), "\(resumed.stdout)")
        let reference = directory.file("reference")
        let uninterrupted = try LeanStats.run(["sync", "--config", config, "--data", reference])
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        #expect(try rowCount(reference) == records.count)
        #expect(try rowCount(data) == rowCount(reference))
    }

    /// A loopback port nothing listens on at the moment.
    private func freePort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else { throw ServeDidNotStart(log: "no free port") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// The JSON of a message the emulated robot received.
    private func card(_ message: EmulatedMessage) -> [String: Any] {
        let body = (try? JSONSerialization.jsonObject(with: Data(message.json))) as? [String: Any]
        return body?["actionCard"] as? [String: Any] ?? [:]
    }

    @Test func aCompressedScheduleMailsAndPostsASignedAlertAndTheMonthlySummaryWithWorkingLinks() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-serve-robot")
        defer { directory.remove() }
        var options = EmulatorOptions()
        options.qps = 400
        let emulator = try DingTalkEmulator(
            dataset: EmulatorDataset(instances: Self.recentInstances(count: 120)),
            options: options,
            clock: EmulatorClock()
        )
        let server = try EmulatorServer(emulator: emulator)
        defer { server.stop() }
        let smtp = try TestSMTPServer()
        defer { smtp.stop() }
        let port = try freePort()
        let config = try directory.write(
            "leanstats.toml",
            """
            [dingtalk]
            api = "v1"
            api_url = "\(server.baseURL)"
            oapi_url = "\(server.baseURL)"
            app_key = "\(options.appKey)"
            app_secret = "\(options.appSecret)"
            process_code = "\(options.processCode)"
            [sync]
            qps = 200
            contacts = false
            [schedule]
            daily = "every 10s"
            weekly_full = "sun 03:00"
            monthly_report = "every 10s"
            [alerts]
            smtp_url = "\(smtp.url)"
            tls = "off"
            from = "LeanStats <leanstats@example.com>"
            to = ["ops@example.com"]
            robot_webhook = "\(server.baseURL)/robot/send?access_token=\(options.robotAccessToken)"
            [alerts.thresholds]
            sync_duration_s = 0
            [report]
            agent_id = 4242
            to_userids = ["manager01"]
            [server]
            token = "robot-token"
            public_url = "http://127.0.0.1:\(port)/"

            """
        )
        chmod(config, 0o600)
        let data = directory.file("data")
        let environment = ["LEANSTATS_ALERTS_ROBOT_SECRET": options.robotSecret ?? ""]
        let serve = try startServe(["--config", config, "--data", data], environment: environment, port: port)
        defer { if serve.process.isRunning { serve.process.terminate() } }

        // The first sync crosses sync_duration_s = 0; a monthly run after it reports on the synced data.
        let summaries = { emulator.robotMessages.filter { $0.messageType == "actionCard" } }
        let arrived = wait(seconds: 60) {
            emulator.robotMessages.contains { $0.messageType == "markdown" }
                && summaries().contains { !((card($0)["text"] as? String) ?? "").contains("**0**") }
                && smtp.messages.count >= 2
        }
        #expect(arrived, "\(serve.stderr.current)")
        #expect(emulator.statistics.robotRejections.isEmpty)

        let alert = try #require(emulator.robotMessages.first { $0.messageType == "markdown" })
        #expect(alert.timestamp != nil, "the emulator accepts only signed posts")
        #expect(alert.title.hasSuffix("sync duration 超过阈值 / sync duration above 0 s"), "\(alert.title)")
        let alertText = String(decoding: alert.json, as: UTF8.self)
        #expect(alertText.contains("\(data) (LeanStats)") && alertText.contains("(http://127.0.0.1:\(port)/)"))

        let summary = try #require(summaries().last { !((card($0)["text"] as? String) ?? "").contains("**0**") })
        let text = try #require(card(summary)["text"] as? String)
        for label in ["提案数 (proposals)", "通过率 (pass rate)", "参与人数 (participants)", "预计收益 (benefit)"] {
            #expect(text.contains(label), "\(text)")
        }
        // The card's count is the one the mailed report states.
        let count = text.split(separator: "\n").first { $0.contains("提案数") }?.split(separator: "*").dropFirst().first
        let reportMail = try #require(smtp.messages.last { $0.data.contains("xlsx") })
        let mailText = String(decoding: MailParsing.parts(reportMail.data).first ?? [], as: UTF8.self)
        #expect(count.map { mailText.contains("提案数: \($0)") } == true, "\(text)\n\(mailText)")

        let buttons = try #require(card(summary)["btns"] as? [[String: String]])
        #expect(buttons.count == 2)
        for button in buttons {
            let url = try #require(button["actionURL"])
            #expect(url.hasPrefix("http://127.0.0.1:\(port)/"), "\(url)")
            let path = String(url.dropFirst("http://127.0.0.1:\(port)".count))
            let request =
                "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer robot-token\r\n"
                + "Connection: close\r\n\r\n"
            // The dashboard notices the synced snapshot within a few seconds.
            var reply = try HTTPReply.exchange(port: port, request: request)
            for _ in 0..<50 where reply.status == 503 {
                usleep(200_000)
                reply = try HTTPReply.exchange(port: port, request: request)
            }
            #expect(reply.status == 200, "\(path): \(reply.statusLine)")
            if path.hasPrefix("/api/report") { #expect(reply.body.starts(with: Array("PK".utf8))) }
        }

        let notification = try #require(emulator.workNotifications.first)
        #expect(notification.agentId == 4242 && notification.userIds == ["manager01"])
        #expect(notification.messageType == "action_card")
        #expect(serve.stderr.current.contains("robot message sent: "))

        kill(serve.process.processIdentifier, SIGTERM)
        #expect(wait(seconds: 15) { !serve.process.isRunning }, "\(serve.stderr.current)")
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 0)
        #expect(!serve.stderr.current.contains(options.robotSecret ?? "-"))
    }
}
