import LeanStatsQuery

/// Writes one worksheet of the report: cells in the report's styles, lists with their header, banding, filter
/// and conditional formats, and column widths computed from what was written.
///
/// Widths count East Asian characters as two (``displayWidth(_:)``), which is how wide they are in a CJK font
/// measured in Excel's width unit (the width of a digit).
final class SheetBuilder {
    /// The sheet.
    let sheet: Worksheet
    /// The workbook, for formats.
    private let workbook: Workbook
    /// The widest content of each column so far, in character widths.
    private var widths: [Int: Int] = [:]

    /// A cell's value.
    enum Value {
        /// Text from the data or a label; `nil` or empty leaves the cell blank.
        case text(String?)
        /// A number, a rate as a fraction, or a date as an Excel serial; `nil` or not finite leaves it blank.
        case number(Double?)
    }

    /// How a list column stands out.
    enum Highlight {
        /// Data bars proportional to the values (counts).
        case dataBars
        /// A red–yellow–green colour scale (pass rates).
        case colorScale
    }

    /// One column of a list.
    struct Column {
        /// The header text.
        var title: String
        /// The style of the values.
        var style: CellStyle
        /// How the column stands out, if at all.
        var highlight: Highlight? = nil
        /// A style per row, for a column whose rows differ in kind; ``style`` when `nil`.
        var rowStyle: ((Int) -> CellStyle)? = nil
        /// The value in a row of the list (0 for the first).
        var value: (Int) -> Value
    }

    /// Adds the sheet to the workbook.
    /// - Throws: ``ReportError`` when the name is refused.
    init(workbook: Workbook, name: String) throws(ReportError) {
        self.workbook = workbook
        sheet = try workbook.addWorksheet(named: name)
    }

    /// The sheet's name.
    var name: String { sheet.name }

    // MARK: - Cells

    /// Writes a value in a style; blanks keep the style so that borders and banding stay whole.
    /// - Parameter measured: whether the value counts towards the column's width.
    /// - Throws: ``ReportError`` naming the cell.
    func write(
        _ value: Value,
        row: Int,
        column: Int,
        style: CellStyle,
        banded: Bool = false,
        measured: Bool = true
    ) throws(ReportError) {
        let format = workbook.format(style, banded: banded)
        switch value {
        case .text(let text?) where !text.isEmpty:
            let shown = Self.fitted(text)
            try sheet.writeText(shown, row: row, column: column, format: format)
            if measured { measure(column, displayWidth(shown) + (style == .header ? 2 : 0)) }
        case .number(let number?) where number.isFinite:
            try sheet.writeNumber(number, row: row, column: column, format: format)
            if measured { measure(column, style.displayedWidth(of: number)) }
        default:
            try sheet.writeBlank(row: row, column: column, format: format)
        }
    }

    /// Writes text in a style.
    /// - Throws: ``ReportError`` naming the cell.
    func text(
        _ text: String?,
        row: Int,
        column: Int,
        style: CellStyle = .text,
        banded: Bool = false,
        measured: Bool = true
    ) throws(ReportError) {
        try write(.text(text), row: row, column: column, style: style, banded: banded, measured: measured)
    }

    /// Writes a number in a style.
    /// - Throws: ``ReportError`` naming the cell.
    func number(_ value: Double?, row: Int, column: Int, style: CellStyle, banded: Bool = false) throws(ReportError) {
        try write(.number(value), row: row, column: column, style: style, banded: banded)
    }

    /// Writes text across merged cells; it does not count towards column widths.
    /// - Throws: ``ReportError`` naming the range.
    func merged(_ text: String, _ range: CellRange, style: CellStyle) throws(ReportError) {
        try sheet.mergeText(Self.fitted(text), range: range, format: workbook.format(style))
    }

    /// Records that a column needs at least `width` character widths.
    func measure(_ column: Int, _ width: Int) {
        widths[column] = max(widths[column] ?? 0, width)
    }

    /// Text cut to what a cell holds (32,767 characters), with an ellipsis when cut.
    static func fitted(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > Worksheet.maxTextLength else { return text }
        var cut = String.UnicodeScalarView(scalars.prefix(Worksheet.maxTextLength - 1))
        cut.append("…")
        return String(cut)
    }

    // MARK: - Lists

    /// Writes a list: the header row, one banded row per item, a filter over the whole list, data bars and
    /// colour scales on the columns that ask for them. An empty list gets a note instead of rows.
    /// - Parameters:
    ///   - columns: the columns, left to right.
    ///   - count: the number of rows.
    ///   - headerRow: the row of the header.
    ///   - firstColumn: the column of the list's first column.
    ///   - filter: whether to add filter buttons (one list per sheet may have them).
    /// - Returns: the range of the values (header excluded), `nil` for an empty list.
    /// - Throws: ``ReportError`` naming the failing cell or range.
    @discardableResult
    func list(
        _ columns: [Column],
        count: Int,
        headerRow: Int,
        firstColumn: Int = 0,
        filter: Bool = true
    ) throws(ReportError) -> CellRange? {
        for (index, column) in columns.enumerated() {
            try text(column.title, row: headerRow, column: firstColumn + index, style: .header)
        }
        let lastColumn = firstColumn + columns.count - 1
        guard count > 0 else {
            try text("本期无数据", row: headerRow + 1, column: firstColumn, style: .note, measured: false)
            return nil
        }
        for item in 0..<count {
            let row = headerRow + 1 + item
            for (index, column) in columns.enumerated() {
                try write(
                    column.value(item),
                    row: row,
                    column: firstColumn + index,
                    style: column.rowStyle?(item) ?? column.style,
                    banded: item % 2 == 1
                )
            }
        }
        let lastRow = headerRow + count
        if filter {
            try sheet.autofilter(
                CellRange(firstRow: headerRow, firstColumn: firstColumn, lastRow: lastRow, lastColumn: lastColumn)
            )
        }
        for (index, column) in columns.enumerated() {
            let range = CellRange(
                firstRow: headerRow + 1,
                firstColumn: firstColumn + index,
                lastRow: lastRow,
                lastColumn: firstColumn + index
            )
            switch column.highlight {
            case .dataBars?:
                try sheet.addDataBars(range, color: ReportColor.dataBar)
                measure(firstColumn + index, (widths[firstColumn + index] ?? 0) + 4)
            case .colorScale?:
                try sheet.addColorScale(range, low: ReportColor.low, middle: ReportColor.middle, high: ReportColor.high)
            case nil:
                break
            }
        }
        return CellRange(firstRow: headerRow + 1, firstColumn: firstColumn, lastRow: lastRow, lastColumn: lastColumn)
    }

    // MARK: - Finishing

    /// Sets every measured column's width: its widest content plus padding, between `minimum` and `maximum`.
    /// - Parameters:
    ///   - minimum: the narrowest column, in character widths.
    ///   - maximum: the widest column; longer text is cut off on screen (or wrapped, for wrapping styles).
    ///   - fixed: widths that override the measured ones.
    /// - Throws: ``ReportError`` naming the column.
    func applyColumnWidths(minimum: Int = 8, maximum: Int = 48, fixed: [Int: Double] = [:]) throws(ReportError) {
        for (column, width) in widths.sorted(by: { $0.key < $1.key }) where fixed[column] == nil {
            try sheet.setColumnWidth(column, Double(min(max(width + 2, minimum), maximum)))
        }
        for (column, width) in fixed.sorted(by: { $0.key < $1.key }) {
            try sheet.setColumnWidth(column, width)
        }
    }
}
