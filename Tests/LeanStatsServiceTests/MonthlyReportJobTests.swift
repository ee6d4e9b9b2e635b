import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

@testable import LeanStatsService

struct MonthlyReportJobTests {
    let zone = try! ZoneClock(identifier: "Asia/Shanghai")

    @Test func lastMonthIsReportedAndMailedAsAnXLSXAttachment() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-report")
        defer { directory.remove() }
        let store = try ServiceFixtures.store(at: directory.file("data"))
        let server = try TestSMTPServer()
        defer { server.stop() }
        let mailer = try Mailer(
            settings: MailSettings(
                url: server.url,
                tls: .off,
                from: "leanstats@example.com",
                to: ["alerts@example.com"]
            )
        )
        let job = MonthlyReportJob(
            store: store,
            zone: zone,
            from: "leanstats@example.com",
            recipients: ["boss@example.com"]
        )
        let report = try await job.run(now: zone.parseLocal("2024-12-01 08:00")!, mailer: mailer)

        #expect(report.month == "2024-11")
        #expect(report.path == directory.file("data") + "/reports/report-2024-11.xlsx")
        #expect(report.subject == "精益提案月报 2024年11月")
        #expect(report.body.contains("提案数: ") && report.body.contains("上月"))
        let written = try Data(contentsOf: URL(fileURLWithPath: report.path))
        let received = try #require(server.messages.first)
        #expect(received.recipients == ["boss@example.com"])
        let headers = MailParsing.headers(received.data)
        #expect(MailParsing.decodeWords(headers["subject"] ?? "") == "精益提案月报 2024年11月")
        let parts = MailParsing.parts(received.data)
        #expect(parts.count == 2)
        #expect(String(decoding: parts[0], as: UTF8.self) == report.body)
        // The attachment is the workbook, byte for byte, and opens as an xlsx (a ZIP with the OOXML parts).
        #expect(parts[1] == Array(written))
        #expect(parts[1].starts(with: [0x50, 0x4B, 0x03, 0x04]))
        let text = String(decoding: parts[1], as: UTF8.self)
        #expect(text.contains("[Content_Types].xml") && text.contains("xl/workbook.xml"))
        #expect(received.data.contains("filename=\"report-2024-11.xlsx\""))
    }

    @Test func theOverviewNumbersInTheBodyMatchTheQuery() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-report")
        defer { directory.remove() }
        let store = try ServiceFixtures.store(at: directory.path)
        let job = MonthlyReportJob(store: store, zone: zone)
        let report = try job.write(now: zone.parseLocal("2025-01-15 12:00")!)
        #expect(report.month == "2024-12")
        let table = try #require(try store.loadLatest()).table
        let engine = StatisticsEngine(table: table, clock: zone)
        let december = engine.overview(
            period: DayRange(
                from: CivilDate(year: 2024, month: 12, day: 1),
                through: CivilDate(year: 2024, month: 12, day: 31)
            ),
            filter: .none
        )
        #expect(report.body.contains("提案数: \(december.count)"))
        #expect(report.replies.isEmpty)
        #expect(FileManager.default.fileExists(atPath: report.path))
    }

    @Test func anEmptyStoreIsAReportErrorAndJanuaryReportsDecember() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-report")
        defer { directory.remove() }
        let job = MonthlyReportJob(store: SnapshotStore(directory: directory.path), zone: zone)
        #expect(throws: ServiceError.self) { try job.write(now: zone.parseLocal("2025-01-01 08:00")!) }
        #expect(job.lastMonth(before: zone.parseLocal("2025-01-01 08:00")!) == CivilDate(year: 2024, month: 12, day: 1))
    }
}
