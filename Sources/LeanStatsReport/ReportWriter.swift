/// Writes a ``ReportContent`` as the management workbook: eight sheets, charts, conditional formats, print setup.
///
/// The sheets, in order: 总体概览 (the overview with the previous period and the change beside each figure, and
/// four charts), 部门统计, 提案类别统计, 个人排行榜, 处理效率分析, 月度趋势, 明细 (one row per instance) and 口径说明
/// (the definitions). Numbers are stored as numbers, rates as fractions, times as Excel dates; text from DingTalk
/// is always written as text. The document's creation time is the data's as-of time, so the same data gives a
/// byte-identical file.
public struct ReportWriter: Sendable {
    /// The font when none is given: 等线 (DengXian), the default of Excel on a Chinese Windows PC.
    public static let defaultFontName = "等线"

    /// The sheet names, in workbook order.
    public static let sheetNames = ["总体概览", "部门统计", "提案类别统计", "个人排行榜", "处理效率分析", "月度趋势", "明细", "口径说明"]

    /// The font of every cell and chart; it must cover Chinese.
    public var fontName: String

    /// Creates a writer.
    /// - Parameter fontName: the font of every cell and chart (default 等线).
    public init(fontName: String = ReportWriter.defaultFontName) {
        self.fontName = fontName
    }

    /// Writes the workbook to a checked destination and moves it into place.
    /// - Parameters:
    ///   - content: the computed report.
    ///   - destination: the checked output path.
    /// - Throws: ``ReportError`` naming the sheet and cell, or the file, that failed; the target is then left as
    ///   it was.
    public func write(_ content: ReportContent, to destination: ReportDestination) throws(ReportError) {
        let workbook = try Workbook(path: destination.temporaryPath, fontName: fontName)
        try ReportComposer(content: content, workbook: workbook).compose()
        try workbook.close()
        try destination.commit()
    }

    /// Checks `path`, writes the workbook and moves it into place.
    /// - Parameters:
    ///   - content: the computed report.
    ///   - path: the `.xlsx` file to write.
    /// - Throws: ``ReportError`` for a path that cannot be written (see ``ReportDestination/init(path:)``) or a
    ///   workbook that cannot be made.
    public func write(_ content: ReportContent, to path: String) throws(ReportError) {
        try write(content, to: try ReportDestination(path: path))
    }
}
