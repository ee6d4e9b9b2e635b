import Foundation
import LeanStatsTestSupport
import Testing

@testable import LeanStatsService

/// Decodes what the test SMTP server received.
enum MailParsing {
    /// The header block unfolded, by lower-cased name.
    static func headers(_ data: String) -> [String: String] {
        let head = data.components(separatedBy: "\r\n\r\n").first ?? ""
        var result: [String: String] = [:]
        var last = ""
        for line in head.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                result[last, default: ""] += line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                last = line[..<colon].lowercased()
                result[last] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return result
    }

    /// A header value with its RFC 2047 words decoded.
    static func decodeWords(_ value: String) -> String {
        var bytes: [UInt8] = []
        var rest = Substring(value)
        while let start = rest.range(of: "=?UTF-8?B?"), let end = rest[start.upperBound...].range(of: "?=") {
            bytes += Array(rest[..<start.lowerBound].utf8).filter { $0 != 0x20 }
            bytes += Data(base64Encoded: String(rest[start.upperBound..<end.lowerBound])).map(Array.init) ?? []
            rest = rest[end.upperBound...]
        }
        bytes += Array(rest.utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The decoded base64 parts of a message, in order.
    static func parts(_ data: String) -> [[UInt8]] {
        let sections = data.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").dropFirst()
        return sections.map { section in
            let text = section.components(separatedBy: "\r\n--").first ?? ""
            return Data(base64Encoded: text.replacingOccurrences(of: "\r\n", with: "")).map(Array.init) ?? []
        }
    }
}

struct MailerTests {
    private func settings(_ server: TestSMTPServer, to: [String] = ["lean@example.com"]) -> MailSettings {
        MailSettings(url: server.url, tls: .off, from: "LeanStats 精益 <leanstats@example.com>", to: to)
    }

    @Test func aMessageWithAChineseSubjectAndAnAttachmentArrivesIntact() async throws {
        let server = try TestSMTPServer()
        defer { server.stop() }
        let mailer = try Mailer(settings: settings(server, to: ["a@example.com", "b@example.com"]))
        let attachment = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let subject = "精益提案月报 2025年11月 — a long subject that needs more than one encoded word to stay short"
        let replies = try await mailer.send(
            MailMessage(
                from: mailer.settings.from,
                to: mailer.settings.to,
                subject: subject,
                body: "总体概览\n提案数 120\n.starts with a dot",
                attachment: .init(
                    fileName: "report-2025-11.xlsx",
                    contentType: MailMessage.Attachment.xlsxType,
                    bytes: attachment
                )
            )
        )
        #expect(replies.first?.hasPrefix("220") == true)
        #expect(replies.contains { $0.hasPrefix("250 2.0.0 OK queued as 1") })
        let received = try #require(server.messages.first)
        #expect(received.from == "leanstats@example.com")
        #expect(received.recipients == ["a@example.com", "b@example.com"])
        let headers = MailParsing.headers(received.data)
        #expect(MailParsing.decodeWords(headers["subject"] ?? "") == subject)
        #expect(headers["content-type"]?.hasPrefix("multipart/mixed") == true)
        for line in received.data.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 998) }
        let parts = MailParsing.parts(received.data)
        #expect(parts.count == 2)
        #expect(String(decoding: parts[0], as: UTF8.self) == "总体概览\n提案数 120\n.starts with a dot")
        #expect(parts[1] == attachment)
    }

    @Test func aRefusedRecipientIsReportedWithWhatTheServerSaid() async throws {
        let server = try TestSMTPServer(refusing: ["nobody@example.com"])
        defer { server.stop() }
        let mailer = try Mailer(settings: settings(server, to: ["nobody@example.com"]))
        let delivery = await mailer.deliver(
            MailMessage(from: "leanstats@example.com", to: ["nobody@example.com"], subject: "test", body: "x")
        )
        let error = try #require(delivery.error)
        #expect(error.code == .mail)
        #expect(error.description.contains("550 5.1.1"))
        #expect(delivery.replies.contains { $0.hasPrefix("550") })
        #expect(server.messages.isEmpty)
    }

    @Test func aConnectionResetBeforeTheGreetingIsTriedOnceMoreAndTheMessageArrivesOnce() async throws {
        let server = try TestSMTPServer(resettingFirst: 1)
        defer { server.stop() }
        let mailer = try Mailer(settings: settings(server), retryPause: .milliseconds(10))
        let delivery = await mailer.deliver(
            MailMessage(from: "leanstats@example.com", to: ["lean@example.com"], subject: "超过阈值", body: "x")
        )
        #expect(delivery.error == nil)
        #expect(server.messages.count == 1)
    }

    @Test func twoResetsInARowGiveAnErrorNamingTheServerAndTheNextMessageGoesThrough() async throws {
        let server = try TestSMTPServer(resettingFirst: 2)
        defer { server.stop() }
        let mailer = try Mailer(settings: settings(server), retryPause: .milliseconds(10))
        let message = MailMessage(from: "leanstats@example.com", to: ["lean@example.com"], subject: "a", body: "x")
        let failed = await mailer.deliver(message)
        let error = try #require(failed.error)
        #expect(error.code == .mail)
        #expect(error.description.contains("via 127.0.0.1 failed"))
        #expect(server.messages.isEmpty)
        #expect(await mailer.deliver(message).error == nil)
        #expect(server.messages.count == 1)
    }

    @Test func starttlsIsRequiredUnlessSwitchedOff() async throws {
        let server = try TestSMTPServer()
        defer { server.stop() }
        var settings = settings(server)
        settings.tls = .starttls
        // The refusal comes at once; the timeout only bounds a server that never answers, and a busy test run
        // can hold this one's threads off the cores for many seconds.
        settings.timeoutSeconds = 60
        let delivery = await (try Mailer(settings: settings)).deliver(
            MailMessage(from: "leanstats@example.com", to: ["lean@example.com"], subject: "test", body: "x")
        )
        #expect(
            delivery.error?.description.contains("STARTTLS") == true,
            "\(delivery.error?.description ?? "no error")"
        )
        #expect(server.messages.isEmpty)
    }

    @Test func plainTextIsRefusedForARemoteServer() {
        let settings = MailSettings(
            url: "smtp://mail.example.com:25",
            tls: .off,
            from: "a@example.com",
            to: ["b@example.com"]
        )
        #expect(throws: ServiceError.self) { try settings.validate() }
        #expect(MailSettings(url: "smtps://mail.example.com", from: "a@x", to: ["b@x"]).tls == .implicit)
        let noPassword = MailSettings(url: "smtp://mail.example.com:587", username: "u", from: "a@x", to: ["b@x"])
        #expect(throws: ServiceError.self) { try noPassword.validate() }
    }

    @Test func aPasswordFileMustBeReadableOnlyByItsOwner() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-secret")
        defer { directory.remove() }
        let path = try directory.write("password", "s3cret\n")
        chmod(path, 0o644)
        #expect(throws: ServiceError.self) { try SecretFile.mailPassword(environment: [:], file: path) }
        chmod(path, 0o600)
        #expect(try SecretFile.mailPassword(environment: [:], file: path) == "s3cret")
        chmod(path, 0o400)
        #expect(try SecretFile.mailPassword(environment: [:], file: path) == "s3cret")
        #expect(try SecretFile.mailPassword(environment: ["LEANSTATS_ALERTS_PASSWORD": "env"], file: path) == "env")
    }
}
