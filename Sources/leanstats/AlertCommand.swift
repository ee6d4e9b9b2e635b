import ArgumentParser
import Foundation
import LeanStatsService

/// `leanstats alert`: e-mail alerts.
struct AlertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert",
        abstract: "E-mail alerts: send a test message.",
        subcommands: [AlertTestCommand.self]
    )
}

/// `leanstats alert test`: sends a test message through the configured SMTP server and prints what it said.
struct AlertTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a test message to alerts.to and print the SMTP server's replies.",
        discussion: """
            Uses [alerts] smtp_url, tls, username, from and to; the password comes from LEANSTATS_ALERTS_PASSWORD \
            or alerts.password_file (readable only by its owner) and is never printed. Exit status 1 when the \
            server did not accept the message.
            """
    )

    @OptionGroup var configOptions: ConfigOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Send to these addresses instead of alerts.to.")
    var to: [String] = []

    func run() throws {
        try reportingErrors {
            let service = try ServiceConfig(try configOptions.load())
            guard var settings = service.mail else {
                throw CommandFailure(
                    "alerts.smtp_url is not set; configure [alerts] smtp_url, from and to in leanstats.toml"
                )
            }
            if !to.isEmpty { settings.to = to }
            let mailer = try Mailer(settings: settings)
            let host = ProcessInfo.processInfo.hostName
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
            if let error = delivery.error { throw error }
            print("the test message was accepted by \(mailer.settings.url) for \(settings.to.joined(separator: ", "))")
        }
    }
}
