import Foundation
import LeanStatsCore

/// Lays one ``ReportContent`` out as the eight sheets of the workbook; each sheet has its own extension file.
///
/// Every sheet shares one frame: the title in row 1, the period and as-of line in row 2, a list header in row 4
/// that stays frozen on screen and repeats on every printed page, A4 landscape, one page wide.
final class ReportComposer {
    /// The report.
    let content: ReportContent
    /// The workbook being written.
    let workbook: Workbook

    /// The row of every list's header (row 4 in Excel's numbering).
    static let headerRow = 3
    /// How many department or category bars a chart shows at most.
    static let chartLimit = 12

    /// Prepares a composer.
    init(content: ReportContent, workbook: Workbook) {
        self.content = content
        self.workbook = workbook
    }

    /// Writes every sheet, in order (明细 only when the request asks for it), and the document properties.
    /// - Throws: ``ReportError`` naming the failing sheet and cell.
    func compose() throws(ReportError) {
        for name in content.sheetNames {
            let sheet = try SheetBuilder(workbook: workbook, name: name)
            switch name {
            case "总体概览": try writeOverview(sheet)
            case "部门统计": try writeDepartments(sheet)
            case "提案类别统计": try writeCategories(sheet)
            case "个人排行榜": try writeRanking(sheet)
            case "处理效率分析": try writeEfficiency(sheet)
            case "月度趋势": try writeTrend(sheet)
            case "明细": try writeDetails(sheet)
            default: try writeDefinitions(sheet)
            }
        }
        try workbook.setProperties(
            title: reportTitle,
            subject: "精益提案统计 \(content.request.period)",
            author: "LeanStats",
            keywords: "精益提案, 合理化建议, \(content.request.period)",
            comments: "数据截至 \(asOfText)；由 LeanStats 根据钉钉审批数据生成",
            created: content.asOf ?? Int64(content.request.period.lastDay.dayNumber) * 86_400
        )
    }

    // MARK: - Shared frame

    /// The report title: `精益提案统计报告 · 2025年11月`, with the department for a department pack.
    var reportTitle: String {
        "精益提案统计报告 · " + scopePrefix + content.request.period.label
    }

    /// `生产部 · ` for a department pack, else empty.
    var scopePrefix: String {
        content.request.scopeName.map { "\($0) · " } ?? ""
    }

    /// The data's as-of time as local text, or a dash for an empty store.
    var asOfText: String {
        content.asOf.map { String(content.clock.format($0).prefix(16)) } ?? "—"
    }

    /// The line under every title: period, comparison period, scope and as-of time.
    var subtitle: String {
        let period = content.request.period
        return "统计期间 \(period.firstDay) 至 \(period.lastDay)　｜　对比上期 \(period.previous.label)"
            + "　｜　范围 \(content.request.scopeName ?? "全公司")"
            + "　｜　数据截至 \(asOfText)（\(content.clock.identifier)）"
    }

    /// The title of a sheet: `部门统计 · 2025年11月`, with the department for a department pack.
    func sheetTitle(_ name: String) -> String {
        "\(name) · \(scopePrefix)\(content.request.period.label)"
    }

    /// Writes a sheet's title and subtitle across `width` columns, freezes the rows down to the list header, and
    /// sets up printing with the header row repeated on every page.
    /// - Parameters:
    ///   - sheet: the sheet.
    ///   - title: the title text.
    ///   - width: how many columns the title spans.
    ///   - headerRow: the row of the list header; the rows above it stay on screen.
    ///   - pagesTall: 1 to fit the sheet on one page, 0 to let it run on.
    func frame(
        _ sheet: SheetBuilder,
        title: String,
        width: Int,
        headerRow: Int = ReportComposer.headerRow,
        pagesTall: Int = 0
    ) throws(ReportError) {
        let last = max(width - 1, 0)
        try sheet.merged(title, CellRange(firstRow: 0, firstColumn: 0, lastRow: 0, lastColumn: last), style: .title)
        try sheet.merged(
            subtitle,
            CellRange(firstRow: 1, firstColumn: 0, lastRow: 1, lastColumn: last),
            style: .subtitle
        )
        sheet.sheet.setDefaultRowHeight(18)
        try sheet.sheet.setRowHeight(0, 32)
        try sheet.sheet.setRowHeight(1, 18)
        try sheet.sheet.setRowHeight(headerRow - 1, 8)
        try sheet.sheet.setRowHeight(headerRow, 30)
        sheet.sheet.freezePanes(row: headerRow + 1, column: 0)
        try sheet.sheet.repeatRowsOnPrintedPages(headerRow, through: headerRow)
        try sheet.sheet.setUpPrinting(
            pagesTall: pagesTall,
            header: "&L" + headerFooterText(reportTitle) + "&R" + headerFooterText(sheet.name),
            footer: "&L数据截至 \(asOfText)&C第 &P 页，共 &N 页&RLeanStats"
        )
    }

    /// Text for a page header or footer: `&` doubled (it starts a control code), cut to fit the 255-character
    /// limit.
    func headerFooterText(_ text: String) -> String {
        String(text.replacingOccurrences(of: "&", with: "&&").prefix(100))
    }

    // MARK: - Values

    /// A time as an Excel date serial in the report's zone.
    func excelDate(_ instant: Int64) -> Double {
        Double(instant + content.clock.offset(at: instant)) / 86_400 + 25_569
    }

    /// A calendar day as an Excel date serial.
    static func excelDate(_ date: CivilDate) -> Double {
        Double(date.dayNumber + 25_569)
    }

    /// `part / whole` as a fraction, `nil` when `whole` is 0.
    static func share(_ part: Int, of whole: Int) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole)
    }

    /// The change relative to `previous`, `nil` when there is nothing to compare with.
    static func relativeChange(_ current: Double?, from previous: Double?) -> Double? {
        guard let current, let previous, previous != 0 else { return nil }
        return (current - previous) / previous
    }

    /// Chinese names of the DingTalk statuses.
    static func statusLabel(_ status: InstanceStatus?) -> String? {
        switch status {
        case .new?: "新建"
        case .running?: "审批中"
        case .completed?: "已完成"
        case .terminated?: "已终止"
        case .canceled?: "已撤销"
        case nil: nil
        }
    }

    /// Chinese names of the approval results.
    static func resultLabel(_ result: InstanceResult?) -> String? {
        switch result {
        case .agree?: "同意"
        case .refuse?: "拒绝"
        case nil: nil
        }
    }

    /// A count with thousands separators: `1,234`.
    static func countText(_ value: Int) -> String {
        let digits = String(abs(value))
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// A fraction as a percentage with one decimal: `45.0%`.
    static func percentText(_ fraction: Double) -> String {
        String(format: "%.1f%%", fraction * 100)
    }

    /// A number with one decimal: `8.2`.
    static func decimalText(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
