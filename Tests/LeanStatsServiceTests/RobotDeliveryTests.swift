import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSync
import LeanStatsTestSupport
import Testing

@testable import LeanStatsService

/// DingTalk group robots and work notifications against the emulator over loopback: signing, the emulator's checks,
/// the error messages, the per-minute limit and the retry after throttling.
struct RobotDeliveryTests {
    /// An emulator with a signed robot.
    private func emulator(keyword: String? = nil, connectionResets: Int = 0) throws -> EmulatorServer {
        var options = EmulatorOptions()
        options.qps = 400
        options.robotKeyword = keyword
        options.robotConnectionResets = connectionResets
        let dataset = EmulatorDataset(instances: randomInstances(count: 5, seed: 9))
        // The robot's per-minute limit runs on a clock that only the tests move.
        let clock = EmulatorClock(frozenAt: now())
        return try EmulatorServer(emulator: try DingTalkEmulator(dataset: dataset, options: options, clock: clock))
    }

    private func robot(_ server: EmulatorServer, secret: String? = nil) -> RobotSettings {
        let options = server.emulator.options
        return RobotSettings(
            webhook: "\(server.baseURL)/robot/send?access_token=\(options.robotAccessToken)",
            secret: secret ?? options.robotSecret
        )
    }

    private func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test func theSignatureIsTheURLEncodedBase64OfTheHMACOfTimestampAndSecret() throws {
        let secret = "SECexample"
        // Find a timestamp whose signature holds characters that must be escaped in a query.
        var timestamp: Int64 = 1_700_000_000_000
        while !RobotSigner.signature(timestamp: timestamp, secret: secret).contains("+") { timestamp += 1 }
        let sign = RobotSigner.signature(timestamp: timestamp, secret: secret)
        let expected = Data(SHA256.hmac(key: Array(secret.utf8), message: Array("\(timestamp)\n\(secret)".utf8)))
        #expect(sign == expected.base64EncodedString())
        let url = RobotSigner.signedURL(
            webhook: "https://oapi.dingtalk.com/robot/send?access_token=T",
            secret: secret,
            timestamp: timestamp
        )
        let encoded = sign.replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "/", with: "%2F")
            .replacingOccurrences(of: "=", with: "%3D")
        #expect(url == "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=\(timestamp)&sign=\(encoded)")
        #expect(
            RobotSigner.signedURL(webhook: "https://x/robot/send?access_token=T", secret: nil, timestamp: 1)
                == "https://x/robot/send?access_token=T"
        )
    }

    @Test func aSignedMarkdownMessageReachesTheEmulatedRobot() async throws {
        let server = try emulator()
        defer { server.stop() }
        let sent = now()
        let outcome = await RobotMessenger(settings: robot(server)).post(
            RobotMessage(title: "LeanStats alert", text: "### LeanStats alert\n\nsync failed"),
            now: sent
        )
        #expect(outcome == .sent)
        let received = try #require(server.emulator.robotMessages.first)
        #expect(received.messageType == "markdown")
        #expect(received.title == "LeanStats alert")
        #expect(received.timestamp == sent)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(received.json)) as? [String: Any])
        #expect((body["markdown"] as? [String: Any])?["text"] as? String == "### LeanStats alert\n\nsync failed")
    }

    @Test func aConnectionResetOnceIsTriedAgainAndTheMessageArrivesOnce() async throws {
        let server = try emulator(connectionResets: 1)
        defer { server.stop() }
        let messenger = RobotMessenger(settings: robot(server), retryPause: .milliseconds(20))
        let outcome = await messenger.post(RobotMessage(title: "LeanStats alert", text: "sync failed"), now: now())
        #expect(outcome == .sent)
        #expect(server.emulator.statistics.faults["robot-reset"] == 1)
        #expect(server.emulator.robotMessages.map(\.title) == ["LeanStats alert"])
    }

    @Test func aConnectionResetAgainOnTheSecondTryIsReportedAsUnreachable() async throws {
        let server = try emulator(connectionResets: 2)
        defer { server.stop() }
        let messenger = RobotMessenger(settings: robot(server), retryPause: .milliseconds(20))
        let outcome = await messenger.post(RobotMessage(title: "LeanStats alert", text: "sync failed"), now: now())
        guard case .failed(let error) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(error.message.contains("cannot reach the robot") && error.message.contains("reset"))
        #expect(server.emulator.statistics.faults["robot-reset"] == 2)
        #expect(server.emulator.robotMessages.isEmpty)
        // Two tries only: the third post is answered.
        #expect(await messenger.post(RobotMessage(title: "LeanStats", text: "t"), now: now()) == .sent)
    }

    @Test func aWrongSecretIsReportedAsAFailedSignatureCheckWithTheThreeFixesAndNeverPrinted() async throws {
        let server = try emulator()
        defer { server.stop() }
        let settings = robot(server, secret: "SECwrong-secret-value")
        let outcome = await RobotMessenger(settings: settings).post(
            RobotMessage(title: "t", text: "LeanStats"),
            now: now()
        )
        guard case .failed(let error) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(error.code == .robot)
        #expect(error.message.contains("keyword, signature or IP check failed (errcode 310000: sign not match"))
        #expect(error.message.contains("add a keyword") && error.message.contains("check alerts.robot_secret"))
        #expect(error.message.contains("allow this server's public IP"))
        #expect(!error.message.contains("SECwrong-secret-value"))
        #expect(!error.message.contains(server.emulator.options.robotAccessToken))
        #expect(server.emulator.robotMessages.isEmpty)
    }

    @Test func aMessageWithoutTheRobotsKeywordIsRefusedWith310000() async throws {
        let server = try emulator(keyword: "精益")
        defer { server.stop() }
        let messenger = RobotMessenger(settings: robot(server))
        let refused = await messenger.post(RobotMessage(title: "LeanStats", text: "no keyword here"), now: now())
        #expect(refused.error?.message.contains("errcode 310000: keywords not in content") == true)
        let accepted = await messenger.post(RobotMessage(title: "LeanStats", text: "精益提案"), now: now())
        #expect(accepted == .sent)
    }

    @Test func anUnknownAccessTokenIsQuotedWithItsErrcode() async throws {
        let server = try emulator()
        defer { server.stop() }
        let settings = RobotSettings(webhook: "\(server.baseURL)/robot/send?access_token=nope", secret: nil)
        let outcome = await RobotMessenger(settings: settings).post(RobotMessage(title: "t", text: "t"), now: now())
        #expect(outcome.error?.message.contains("refused the message (errcode 300001: token is not exist)") == true)
    }

    /// The outbox's clock (it starts at the real time, which signatures carry), moved only by the outbox's waits,
    /// which move the emulator's clock too.
    private final class ManualClock: Sendable {
        let milliseconds: Locked<Int64>
        let waits = Locked<[Int64]>([])
        let emulator: EmulatorClock

        init(emulator: EmulatorClock) {
            self.emulator = emulator
            milliseconds = Locked(Int64(Date().timeIntervalSince1970 * 1000))
        }

        func now() -> Int64 { milliseconds.withLock { $0 } }

        func sleep(_ amount: Int64) {
            waits.withLock { $0.append(amount) }
            milliseconds.withLock { $0 += amount }
            emulator.advance(byMilliseconds: amount)
        }
    }

    private func outbox(_ server: EmulatorServer, clock: ManualClock, log: Locked<[String]>) -> RobotOutbox {
        RobotOutbox(
            messenger: RobotMessenger(settings: robot(server)),
            clock: { clock.now() },
            sleep: { clock.sleep($0) },
            log: { line in log.withLock { $0.append(line) } }
        )
    }

    @Test func theOutboxDefersMessagesOverTwentyAMinuteInsteadOfDroppingThem() async throws {
        let server = try emulator()
        defer { server.stop() }
        let clock = ManualClock(emulator: server.emulator.clock)
        let log = Locked<[String]>([])
        let outbox = outbox(server, clock: clock, log: log)
        for index in 1...25 { await outbox.enqueue(RobotMessage(title: "alert \(index)", text: "LeanStats")) }
        await outbox.flush()
        #expect(server.emulator.robotMessages.map(\.title) == (1...25).map { "alert \($0)" })
        #expect(server.emulator.statistics.robotRejections.isEmpty)
        #expect(clock.waits.withLock { $0 }.count == 1 && clock.waits.withLock { $0 }[0] <= 60_000)
        #expect(log.withLock { $0 }.contains { $0.contains("20 messages in the last minute; 'alert 21' waits") })
        #expect(await outbox.pendingCount == 0)
    }

    @Test func aThrottledRobotKeepsTheMessageAndPostsItAfterTheTenMinuteThrottle() async throws {
        let server = try emulator()
        defer { server.stop() }
        // Another sender used up the robot's minute.
        let other = RobotMessenger(settings: robot(server))
        for _ in 0..<20 { _ = await other.post(RobotMessage(title: "other", text: "LeanStats"), now: now()) }
        let clock = ManualClock(emulator: server.emulator.clock)
        let log = Locked<[String]>([])
        let outbox = outbox(server, clock: clock, log: log)
        await outbox.enqueue(RobotMessage(title: "sync failed", text: "LeanStats"))
        await outbox.flush()
        #expect(server.emulator.statistics.robotRejections[130_101] == 1)
        #expect(server.emulator.robotMessages.last?.title == "sync failed")
        #expect(clock.waits.withLock { $0 } == [RobotOutbox.throttleMilliseconds])
        let lines = log.withLock { $0 }
        #expect(
            lines.first?.hasPrefix("robot message kept, posted again in 10 minutes: sync failed: ") == true,
            "\(lines)"
        )
        #expect(lines.first?.contains("errcode 130101") == true && lines.last == "robot message sent: sync failed")
    }

    @Test func aWorkNotificationReachesTheUsersAndCountsAsAMeteredCall() async throws {
        let server = try emulator()
        defer { server.stop() }
        let options = server.emulator.options
        var sync = SyncSettings()
        sync.apiURL = server.baseURL
        sync.oapiURL = server.baseURL
        sync.appKey = options.appKey
        sync.appSecret = options.appSecret
        sync.processCodes = [options.processCode]
        let notifier = WorkNotifier(
            settings: WorkNotificationSettings(agentId: 4242, userIds: ["u1", "u2"]),
            sync: sync
        )
        let message = RobotMessage(
            title: "精益提案月报 2025年11月",
            text: "- 提案数: **12**",
            buttons: [.init(title: "Dashboard", url: "https://leanstats.example.com/")]
        )
        let task = try await notifier.send(message)
        #expect(task == "1")
        let received = try #require(server.emulator.workNotifications.first)
        #expect(received.agentId == 4242 && received.userIds == ["u1", "u2"])
        #expect(received.messageType == "action_card" && received.title == "精益提案月报 2025年11月")
        #expect(server.emulator.statistics.quotaCalls == 1)

        let refused = WorkNotifier(settings: WorkNotificationSettings(agentId: 1, userIds: []), sync: sync)
        await #expect(throws: ServiceError.self) { try await refused.send(message) }
    }

    @Test func robotSettingsNameAMissingAccessTokenAndASecretThatIsNotASigningSecret() {
        let good = RobotSettings(webhook: "https://oapi.dingtalk.com/robot/send?access_token=abc", secret: "SECabc")
        #expect(good.problems.isEmpty)
        #expect(good.redactedWebhook == "https://oapi.dingtalk.com/robot/send")
        let bad = RobotSettings(webhook: "https://oapi.dingtalk.com/robot/send", secret: "abc", section: "report")
        #expect(bad.problems.count == 2)
        #expect(bad.problems[0].hasPrefix("report.robot_webhook has no access_token"))
        #expect(bad.problems[1].hasPrefix("report.robot_secret does not start with SEC"))
        let plain = RobotSettings(webhook: "http://oapi.dingtalk.com/robot/send?access_token=abc", secret: nil)
        #expect(
            plain.problems == [
                "alerts.robot_webhook uses http://, which would send the access token in the clear; use the https:// webhook"
            ]
        )
        #expect(
            RobotSettings(webhook: "http://127.0.0.1:8089/robot/send?access_token=abc", secret: nil).problems.isEmpty
        )
    }
}
