import ArgumentParser
import Foundation
import LeanStatsService

/// `leanstats alert`: alerts by e-mail and DingTalk.
struct AlertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert",
        abstract: "Alerts by e-mail and DingTalk: send a test message through every channel.",
        subcommands: [AlertTestCommand.self]
    )
}

/// A delivery channel `leanstats alert test` can try.
enum AlertChannel: String, ExpressibleByArgument, CaseIterable {
    /// SMTP (`[alerts] smtp_url`).
    case mail
    /// The DingTalk group robots (`[alerts] robot_webhook`, `[report] robot_webhook`).
    case robot
    /// The app's work notification (`[report] agent_id`, `to_userids`).
    case work
}

/// `leanstats alert test`: sends a test message through each configured channel and prints one line per channel.
struct AlertTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a test message through every configured channel (mail, robot, work) and print the outcome.",
        discussion: """
            mail uses [alerts] smtp_url, tls, username, from and to; the password comes from LEANSTATS_ALERTS_PASSWORD \
            or alerts.password_file (readable only by its owner) and is never printed; the SMTP server's replies are \
            printed. robot posts a signed markdown message to alerts.robot_webhook (and report.robot_webhook when it \
            differs); the secret comes from alerts.robot_secret, LEANSTATS_ALERTS_ROBOT_SECRET or \
            alerts.robot_secret_file. work sends a work notification from the app (report.agent_id) to \
            report.to_userids with the [dingtalk] credentials; it counts as one API call. Prints one line per \
            channel: '<channel>: ok …' or '<channel>: failed …'. Exit status 1 when any channel failed.
            """
    )

    @OptionGroup var configOptions: ConfigOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Send the mail to these addresses instead of alerts.to.")
    var to: [String] = []

    @Option(name: .long, help: "Test only this channel: mail, robot or work.")
    var channel: AlertChannel?

    func run() throws {
        try reportingErrors {
            let file = try configOptions.load()
            // A single other channel is tested even when the mail settings are incomplete.
            let service = try ServiceConfig(file, readingMail: channel == nil || channel == .mail)
            let host = ProcessInfo.processInfo.hostName
            var outcomes: [(channel: String, error: String?, detail: String)] = []
            let wanted = channel.map { [$0] } ?? AlertChannel.allCases
            if wanted.contains(.mail), service.mail != nil || channel == .mail {
                outcomes.append(try testMail(service, host: host))
            }
            if wanted.contains(.robot), service.robot != nil || service.reportRobot != nil || channel == .robot {
                outcomes += try testRobots(service, host: host)
            }
            if wanted.contains(.work), service.workNotification != nil || channel == .work {
                outcomes.append(testWork(service, file: file, host: host))
            }
            guard !outcomes.isEmpty else {
                throw CommandFailure(
                    "no alert channel is configured; set [alerts] smtp_url, from and to, or [alerts] robot_webhook, "
                        + "or [report] agent_id and to_userids in leanstats.toml"
                )
            }
            for outcome in outcomes {
                print(
                    "\(outcome.channel): \(outcome.error == nil ? "ok" : "failed") — \(outcome.error ?? outcome.detail)"
                )
            }
            let failures = outcomes.filter { $0.error != nil }
            for failure in failures { printError("leanstats: \(failure.channel): \(failure.error ?? "")") }
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }

    /// Mails the test message and prints the server's replies.
    private func testMail(_ service: ServiceConfig, host: String) throws -> (String, String?, String) {
        guard var settings = service.mail else {
            return ("mail", "alerts.smtp_url is not set; configure [alerts] smtp_url, from and to", "")
        }
        if !to.isEmpty { settings.to = to }
        let mailer = try Mailer(settings: settings)
        let message = MailMessage(
            from: settings.from,
            to: settings.to,
            subject: "[\(host)] LeanStats 测试邮件 / test message",
            body: """
                This is a test message from `leanstats alert test` on \(host).
                Alerts (failed syncs, stale data, thresholds) and the monthly report reach you this way.

                这是一封测试邮件：同步失败、数据过期和阈值告警以及月报都会这样发送。
                """
        )
        let delivery = try waitFor { [mailer] in await mailer.deliver(message) }
        for reply in delivery.replies { print("server: \(reply)") }
        return (
            "mail", delivery.error.map(\.message),
            "accepted by \(mailer.settings.url) for \(settings.to.joined(separator: ", "))"
        )
    }

    /// Posts a test message to the alerts robot, and to the report robot when it is another one.
    private func testRobots(_ service: ServiceConfig, host: String) throws -> [(String, String?, String)] {
        var robots = [service.robot].compactMap { $0 }
        if let report = service.reportRobot, report.webhook != service.robot?.webhook { robots.append(report) }
        guard !robots.isEmpty else {
            return [("robot", "alerts.robot_webhook is not set; add the group robot's webhook to [alerts]", "")]
        }
        let message = RobotMessage(
            title: "[\(host)] LeanStats 测试消息 / test message",
            text: """
                ### [\(host)] LeanStats 测试消息 / test message

                This is a test message from `leanstats alert test` on \(host): alerts and the monthly summary reach \
                this group this way.

                这是一条测试消息：告警和月报摘要会发到这个群。
                """
        )
        return try robots.map { settings in
            let name = robots.count > 1 ? "robot (\(settings.section))" : "robot"
            let messenger = RobotMessenger(settings: settings)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let outcome = try waitFor { await messenger.post(message, now: now) }
            let signed = settings.secret == nil ? "unsigned" : "signed"
            return (
                name, outcome.error?.message,
                "posted to \(settings.redactedWebhook) (\(settings.section).robot_webhook, \(signed))"
            )
        }
    }

    /// Sends the test message as a work notification.
    private func testWork(_ service: ServiceConfig, file: ConfigFile, host: String) -> (String, String?, String) {
        guard let settings = service.workNotification else {
            return ("work", "report.agent_id is not set; add the app's AgentId and report.to_userids to [report]", "")
        }
        guard ServiceConfig.hasDingTalkCredentials(file) else {
            return ("work", "work notifications need the [dingtalk] app_key and app_secret of the app", "")
        }
        let notifier: WorkNotifier
        do {
            notifier = WorkNotifier(settings: settings, sync: try configOptions.syncSettings(from: file))
        } catch {
            return ("work", "\(error)", "")
        }
        let message = RobotMessage(
            title: "[\(host)] LeanStats 测试消息 / test message",
            text: "This is a test work notification from `leanstats alert test` on \(host). 这是一条测试工作通知。"
        )
        do {
            let task = try waitFor { () async throws -> String in try await notifier.send(message) }
            return (
                "work", nil,
                "sent by agent \(settings.agentId) to \(settings.userIds.joined(separator: ", ")) (task \(task))"
            )
        } catch let error as ServiceError {
            return ("work", error.message, "")
        } catch {
            return ("work", "\(error)", "")
        }
    }
}
