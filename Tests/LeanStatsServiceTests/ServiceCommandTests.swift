import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsTestSupport
import Testing

@testable import LeanStatsService

/// `leanstats doctor` and `leanstats alert test` through the real executable, with the configuration read from
/// TOML (including `[alerts.thresholds]`).
struct ServiceCommandTests {
    /// A configuration for an in-process emulator and the test SMTP server.
    private func config(
        _ directory: TemporaryDirectory,
        emulator: EmulatorServer,
        smtp: TestSMTPServer?,
        extra: String = ""
    ) throws -> String {
        let options = emulator.emulator.options
        var text = """
            [dingtalk]
            api = "v1"
            api_url = "\(emulator.baseURL)"
            oapi_url = "\(emulator.baseURL)"
            app_key = "\(options.appKey)"
            app_secret = "\(options.appSecret)"
            process_code = "\(options.processCode)"
            [schedule]
            daily = "02:30"
            weekly_full = "sat 04:00"
            [alerts.thresholds]
            query_latency_ms = 800

            """
        if let smtp {
            text += """
                [alerts]
                smtp_url = "\(smtp.url)"
                tls = "off"
                username = "leanstats"
                from = "LeanStats <leanstats@example.com>"
                to = ["ops@example.com"]

                """
        }
        let path = try directory.write("leanstats.toml", text + extra)
        chmod(path, 0o600)
        return path
    }

    private func emulator() throws -> EmulatorServer {
        var options = EmulatorOptions()
        options.qps = 400
        let dataset = EmulatorDataset(instances: randomInstances(count: 10, seed: 5))
        return try EmulatorServer(emulator: try DingTalkEmulator(dataset: dataset, options: options))
    }

    @Test func doctorPassesAGoodSetUpAndQuietPrintsNothing() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-doctor")
        defer { directory.remove() }
        let server = try emulator()
        defer { server.stop() }
        let smtp = try TestSMTPServer()
        defer { smtp.stop() }
        let config = try config(directory, emulator: server, smtp: smtp)
        _ = try ServiceFixtures.store(at: directory.file("data"), count: 30)
        let output = try LeanStats.run(
            ["doctor", "--config", config, "--data", directory.file("data")],
            environment: ["LEANSTATS_ALERTS_PASSWORD": "hunter2-secret"]
        )
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 10)
        for name in ["config", "secrets", "data", "snapshots", "timezone", "dingtalk", "quota", "plan", "mail"] {
            #expect(lines.contains { $0.hasPrefix("ok    \(name) ") }, "\(name): \(output.stdout)")
        }
        #expect(!output.stdout.contains("hunter2-secret"))
        let quiet = try LeanStats.run(
            ["doctor", "--quiet", "--config", config, "--data", directory.file("data")],
            environment: ["LEANSTATS_ALERTS_PASSWORD": "hunter2-secret"]
        )
        #expect(quiet.status == 0 && quiet.stdout.isEmpty)
    }

    @Test func doctorRefusesAnOpenSecretFileAndABadSchedule() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-doctor")
        defer { directory.remove() }
        let server = try emulator()
        defer { server.stop() }
        let password = try directory.write("smtp-password", "pw")
        chmod(password, 0o644)
        let smtp = try TestSMTPServer()
        defer { smtp.stop() }
        var config = try config(directory, emulator: server, smtp: smtp)
        try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "tls = \"off\"", with: "tls = \"off\"\npassword_file = \"\(password)\"")
            .write(toFile: config, atomically: false, encoding: .utf8)
        var output = try LeanStats.run(["doctor", "--quiet", "--config", config, "--data", directory.file("data")])
        #expect(output.status == 1)
        #expect(output.stdout.contains("fail  secrets") && output.stdout.contains("chmod 600 \(password)"))
        #expect(!output.stdout.contains("ok "))

        config = try self.config(directory, emulator: server, smtp: nil, extra: "")
        try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "daily = \"02:30\"", with: "daily = \"25:30\"")
            .write(toFile: config, atomically: false, encoding: .utf8)
        output = try LeanStats.run(["doctor", "--config", config, "--data", directory.file("data")])
        #expect(output.status == 1)
        #expect(output.stdout.contains("fail  config") && output.stdout.contains("schedule.daily '25:30'"))
        #expect(output.stdout.contains("warn  mail"))
    }

    @Test func alertTestPrintsWhatTheServerSaidAndNeverThePassword() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-alert")
        defer { directory.remove() }
        let server = try emulator()
        defer { server.stop() }
        let smtp = try TestSMTPServer(refusing: ["nobody@example.com"])
        defer { smtp.stop() }
        let config = try config(directory, emulator: server, smtp: smtp)
        let environment = ["LEANSTATS_ALERTS_PASSWORD": "hunter2-secret"]
        let output = try LeanStats.run(["alert", "test", "--config", config], environment: environment)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("server: 220 test.local ESMTP"))
        #expect(output.stdout.contains("server: 250 2.0.0 OK queued as 1"))
        let received = try #require(smtp.messages.first)
        #expect(received.recipients == ["ops@example.com"])
        #expect(MailParsing.decodeWords(MailParsing.headers(received.data)["subject"] ?? "").contains("测试邮件"))

        let refused = try LeanStats.run(
            ["alert", "test", "--config", config, "--to", "nobody@example.com"],
            environment: environment
        )
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("server: 550 5.1.1"))
        #expect(refused.stderr.contains("550 5.1.1"))
        for text in [output.stdout, output.stderr, refused.stdout, refused.stderr] {
            #expect(!text.contains("hunter2-secret"))
        }
    }

    /// The `[alerts]` robot and `[report]` work-notification keys for an emulator.
    private func robotKeys(_ server: EmulatorServer, secret: String? = nil) -> String {
        let options = server.emulator.options
        return """
            robot_webhook = "\(server.baseURL)/robot/send?access_token=\(options.robotAccessToken)"
            robot_secret = "\(secret ?? options.robotSecret ?? "")"
            [report]
            agent_id = 4242
            to_userids = ["manager01", "manager02"]

            """
    }

    @Test func alertTestPrintsOneLinePerChannelAndFailsWhenTheRobotRefuses() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-alert-channels")
        defer { directory.remove() }
        let server = try emulator()
        defer { server.stop() }
        let smtp = try TestSMTPServer()
        defer { smtp.stop() }
        let config = try config(directory, emulator: server, smtp: smtp, extra: robotKeys(server))
        let environment = ["LEANSTATS_ALERTS_PASSWORD": "hunter2-secret"]
        let output = try LeanStats.run(["alert", "test", "--config", config], environment: environment)
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        let lines = output.stdout.split(separator: "\n").filter { !$0.hasPrefix("server: ") }
        #expect(lines.count == 3, "\(output.stdout)")
        #expect(lines[0].hasPrefix("mail: ok — accepted by smtp://"))
        #expect(lines[1].hasPrefix("robot: ok — posted to \(server.baseURL)/robot/send (alerts.robot_webhook, signed)"))
        #expect(lines[2].hasPrefix("work: ok — sent by agent 4242 to manager01, manager02"))
        #expect(smtp.messages.count == 1)
        #expect(server.emulator.robotMessages.count == 1)
        #expect(server.emulator.robotMessages.first?.title.hasSuffix("LeanStats 测试消息 / test message") == true)
        #expect(server.emulator.workNotifications.first?.userIds == ["manager01", "manager02"])

        let wrongSecret = ["LEANSTATS_ALERTS_ROBOT_SECRET": "SECwrong-robot-secret"]
        let refused = try LeanStats.run(
            ["alert", "test", "--config", config, "--channel", "robot"],
            environment: wrongSecret
        )
        #expect(refused.status == 1)
        #expect(refused.stdout.hasPrefix("robot: failed — the robot \(server.baseURL)/robot/send"), "\(refused.stdout)")
        #expect(refused.stdout.split(separator: "\n").count == 1)
        #expect(refused.stdout.contains("errcode 310000: sign not match"))
        #expect(refused.stderr.contains("check alerts.robot_secret"))
        for text in [output.stdout, output.stderr, refused.stdout, refused.stderr] {
            #expect(!text.contains("hunter2-secret") && !text.contains("SECwrong-robot-secret"))
            #expect(!text.contains(server.emulator.options.robotAccessToken))
            #expect(!text.contains(server.emulator.options.robotSecret ?? "-"))
        }
        #expect(server.emulator.robotMessages.count == 1)
    }

    @Test func doctorNamesARobotWebhookWithoutAccessTokenAndASecretThatIsNotASigningSecret() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-cli-doctor-robot")
        defer { directory.remove() }
        _ = try ServiceFixtures.store(at: directory.file("data"), count: 30)
        let server = try emulator()
        defer { server.stop() }
        let smtp = try TestSMTPServer()
        defer { smtp.stop() }
        let extra = """
            robot_webhook = "https://oapi.dingtalk.com/robot/send"
            robot_secret = "0123456789abcdef"

            """
        let config = try config(directory, emulator: server, smtp: smtp, extra: extra)
        let output = try LeanStats.run(
            ["doctor", "--config", config, "--data", directory.file("data")],
            environment: ["LEANSTATS_ALERTS_PASSWORD": "pw"]
        )
        #expect(output.status == 1)
        let line = try #require(output.stdout.split(separator: "\n").first { $0.hasPrefix("fail  robot") })
        #expect(line.contains("alerts.robot_webhook has no access_token"))
        #expect(line.contains("alerts.robot_secret does not start with SEC"))
        #expect(!output.stdout.contains("0123456789abcdef"))
    }
}
