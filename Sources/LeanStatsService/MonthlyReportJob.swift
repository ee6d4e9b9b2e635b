import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport
import LeanStatsSnapshot

/// What the monthly report job did.
public struct MonthlyReport: Sendable, Equatable {
    /// The month reported, `YYYY-MM`.
    public var month: String
    /// The workbook written, `<data>/reports/report-YYYY-MM.xlsx`.
    public var path: String
    /// The mail's subject, e.g. `精益提案月报 2025年11月`.
    public var subject: String
    /// The mail's body: the overview numbers beside the previous month.
    public var body: String
    /// The SMTP server's replies, empty when no mail was sent.
    public var replies: [String]
    /// The headline numbers of the month, as shown: proposals, pass rate, participants, benefit.
    public var headline = MonthlyHeadline()

    /// The summary for a DingTalk robot or work notification: an action card with the headline numbers and
    /// buttons to the dashboard and the workbook download (`/api/report?period=YYYY-MM`).
    /// - Parameter publicURL: The dashboard's address as readers reach it (`server.public_url`), `nil` for a card
    ///   without buttons.
    /// - Returns: The message.
    public func summaryMessage(publicURL: String?) -> RobotMessage {
        var text = [
            "### \(subject)", "",
            "- 提案数 (proposals): **\(headline.count)**",
            "- 通过率 (pass rate): **\(headline.passRate)**",
            "- 参与人数 (participants): **\(headline.participants)**",
            "- 预计收益 (benefit): **\(headline.benefit)**",
            "",
        ]
        var buttons: [RobotMessage.Button] = []
        if let base = publicURL.map(Self.trimmed), !base.isEmpty {
            buttons = [
                .init(title: "打开看板 / Dashboard", url: "\(base)/?period=\(month)"),
                .init(title: "下载月报 / Workbook", url: "\(base)/api/report?period=\(month)"),
            ]
        } else {
            text.append("LeanStats: set server.public_url to add links to the dashboard and the workbook.")
        }
        return RobotMessage(title: subject, text: text.joined(separator: "\n"), buttons: buttons)
    }

    static func trimmed(_ url: String) -> String {
        var url = url.trimmingCharacters(in: .whitespaces)
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// The job's one-line summary for the log.
    public var line: String {
        "monthly report \(month): wrote \(path)" + (replies.isEmpty ? " (not mailed)" : ", mailed")
    }
}

/// The headline numbers of a month, formatted for a message.
public struct MonthlyHeadline: Sendable, Equatable {
    /// Proposals submitted.
    public var count = "—"
    /// Share passed, e.g. `62.5%`.
    public var passRate = "—"
    /// Distinct proposers.
    public var participants = "—"
    /// The benefit summed over the proposals that state one, e.g. `¥12,345`.
    public var benefit = "—"

    /// No numbers yet.
    public init() {}
}

/// Writes last month's workbook to `reports/` in the data directory and mails it, with the overview numbers in
/// the body and the workbook attached.
public struct MonthlyReportJob: Sendable {
    /// The store.
    public let store: SnapshotStore
    /// The zone that defines months.
    public let zone: ZoneClock
    /// The sender (`alerts.from`).
    public var from: String
    /// The recipients (`report.to`, default `alerts.to`); no mail when empty.
    public var recipients: [String]

    /// Creates the job.
    /// - Parameters:
    ///   - store: The store to report on.
    ///   - zone: The configured zone.
    ///   - from: The sender.
    ///   - recipients: Who gets the workbook.
    public init(store: SnapshotStore, zone: ZoneClock, from: String = "", recipients: [String] = []) {
        self.store = store
        self.zone = zone
        self.from = from
        self.recipients = recipients
    }

    /// The month before the one `now` falls in.
    /// - Parameter now: Unix seconds.
    public func lastMonth(before now: Int64) -> CivilDate {
        let today = zone.date(at: now)
        return today.month == 1
            ? CivilDate(year: today.year - 1, month: 12, day: 1)
            : CivilDate(year: today.year, month: today.month - 1, day: 1)
    }

    /// Writes the workbook of the month before `now`, and mails it when a mailer and recipients are given.
    /// - Parameters:
    ///   - now: Unix seconds.
    ///   - mailer: The mailer, `nil` to only write the file.
    /// - Returns: What was done.
    /// - Throws: ``ServiceError`` with code `.report` (no data, the workbook failed) or `.mail`.
    public func run(now: Int64, mailer: Mailer?) async throws(ServiceError) -> MonthlyReport {
        try await mail(try write(now: now), mailer: mailer)
    }

    /// Mails a written report when a mailer and recipients are given.
    /// - Parameters:
    ///   - report: What ``write(now:)`` wrote.
    ///   - mailer: The mailer, `nil` to mail nothing.
    /// - Returns: The report with the server's replies.
    /// - Throws: ``ServiceError`` with code `.report` (the workbook cannot be read back) or `.mail`.
    public func mail(_ report: MonthlyReport, mailer: Mailer?) async throws(ServiceError) -> MonthlyReport {
        var report = report
        guard let mailer, !recipients.isEmpty else { return report }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: report.path)))
        } catch {
            throw ServiceError(.report, "cannot read back \(report.path): \(error.localizedDescription)")
        }
        let message = MailMessage(
            from: from.isEmpty ? mailer.settings.from : from,
            to: recipients,
            subject: report.subject,
            body: report.body,
            attachment: .init(
                fileName: (report.path as NSString).lastPathComponent,
                contentType: MailMessage.Attachment.xlsxType,
                bytes: bytes
            )
        )
        report.replies = try await mailer.send(message)
        return report
    }

    /// Writes the workbook of the month before `now` without mailing it.
    /// - Parameter now: Unix seconds.
    /// - Returns: What was written (no replies).
    /// - Throws: ``ServiceError`` with code `.report`.
    public func write(now: Int64) throws(ServiceError) -> MonthlyReport {
        let month = lastMonth(before: now)
        let loaded: LoadedSnapshot
        do {
            guard let latest = try store.loadLatest() else {
                throw ServiceError(
                    .report,
                    "no data in \(store.directory) to report on; sync or import first"
                )
            }
            loaded = latest
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.report, "cannot load the store for the monthly report: \(error)")
        }
        let engine = StatisticsEngine(table: loaded.table, clock: zone)
        let today = zone.date(at: now)
        let directory = "\(store.directory)/reports"
        let path = "\(directory)/report-\(month.monthText).xlsx"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let request = try ReportRequest(period: try ReportPeriod(parsing: month.monthText, today: today))
            let content = try ReportContent(engine: engine, request: request)
            try ReportWriter().write(content, to: try ReportDestination(path: path))
        } catch {
            throw ServiceError(.report, "cannot write the monthly report \(path): \(error)")
        }
        let executor = QueryExecutor(
            engine: engine,
            today: today,
            headcounts: DepartmentHeadcounts.decode(from: loaded.metadata)
        )
        let overview = (try? executor.run("overview \(month.monthText) vs prev")) ?? ResultTable(columns: [], rows: [])
        let subject = "精益提案月报 \(month.year)年\(month.month)月"
        var report = MonthlyReport(
            month: month.monthText,
            path: path,
            subject: subject,
            body: Self.body(month: month, overview: overview, fileName: (path as NSString).lastPathComponent),
            replies: []
        )
        let benefit = try? executor.run("by status benefit_sum \(month.monthText)")
        report.headline = Self.headline(overview: overview, benefit: benefit)
        return report
    }

    /// The mail body: one line per overview figure with the previous month and the change.
    static func body(month: CivilDate, overview: ResultTable, fileName: String) -> String {
        let labels: [(String, String)] = [
            ("count", "提案数"), ("passed", "通过数"), ("pass_rate", "通过率 (%)"), ("participants", "参与人数"),
            ("depts", "参与部门数"),
        ]
        var lines = ["精益提案月报 \(month.year)年\(month.month)月 — 总体概览 (overview)", ""]
        let row = overview.rows.first ?? []
        func value(_ column: String) -> ResultValue? {
            overview.columns.firstIndex(of: column).flatMap { $0 < row.count ? row[$0] : nil }
        }
        for (metric, label) in labels {
            guard let current = value(metric) else { continue }
            var line = "\(label): \(text(current))"
            if let previous = value(metric + "_prev") { line += "  (上月 \(text(previous))" }
            if let change = value(metric + "_change"), case .null = change {
                line += ")"
            } else if let change = value(metric + "_change") {
                line += ", 变化 \(signed(change)))"
            } else if value(metric + "_prev") != nil {
                line += ")"
            }
            lines.append(line)
        }
        lines += ["", "详细报表见附件 \(fileName)（部门统计、提案类别统计、个人排行榜、处理效率分析、月度趋势、明细）。"]
        return lines.joined(separator: "\n")
    }

    /// The headline numbers from the overview and the benefit per status.
    static func headline(overview: ResultTable, benefit: ResultTable?) -> MonthlyHeadline {
        var headline = MonthlyHeadline()
        let row = overview.rows.first ?? []
        func value(_ column: String) -> ResultValue? {
            overview.columns.firstIndex(of: column).flatMap { $0 < row.count ? row[$0] : nil }
        }
        if let count = value("count") { headline.count = text(count) }
        if let rate = value("pass_rate") { headline.passRate = text(rate) + (rate == .null ? "" : "%") }
        if let participants = value("participants") { headline.participants = text(participants) }
        if let benefit, let column = benefit.columns.firstIndex(of: "benefit_sum") {
            var total = 0.0
            for row in benefit.rows where column < row.count {
                switch row[column] {
                case .int(let number): total += Double(number)
                case .double(let number): total += number
                default: break
                }
            }
            headline.benefit = "¥" + String(format: "%.0f", total)
        }
        return headline
    }

    private static func text(_ value: ResultValue) -> String {
        switch value {
        case .int(let number): String(number)
        case .double(let number): String(format: "%.1f", number)
        case .string(let string): string
        case .null: "—"
        }
    }

    private static func signed(_ value: ResultValue) -> String {
        switch value {
        case .int(let number): number > 0 ? "+\(number)" : String(number)
        case .double(let number): (number > 0 ? "+" : "") + String(format: "%.1f", number)
        default: text(value)
        }
    }
}
