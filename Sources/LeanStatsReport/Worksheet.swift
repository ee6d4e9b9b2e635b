import CXLSXWriter

/// One worksheet of a ``Workbook`` (`lxw_worksheet *`, owned by the workbook).
///
/// Each method wraps one libxlsxwriter call and turns its `lxw_error` into a ``ReportError`` naming the sheet and
/// the cell or range. Rows and columns count from 0.
struct Worksheet {
    /// The sheet name, for errors.
    let name: String
    /// The sheet, valid until the workbook is closed.
    let handle: UnsafeMutablePointer<lxw_worksheet>

    /// The most rows a sheet holds.
    static let maxRows = 1_048_576
    /// The most characters a cell holds.
    static let maxTextLength = 32_767

    /// Writes text, as text: it is never read as a formula or a number, whatever it starts with, and it is made safe
    /// for the XML first (``SpreadsheetText/cell(_:)``). The corresponding libxlsxwriter function is
    /// `worksheet_write_string`.
    /// - Throws: ``ReportError`` naming the cell, e.g. for text over 32,767 characters.
    func writeText(
        _ text: String,
        row: Int,
        column: Int,
        format: UnsafeMutablePointer<lxw_format>?
    ) throws(ReportError) {
        let shown = SpreadsheetText.cell(text)
        try check(worksheet_write_string(handle, lxw_row_t(row), lxw_col_t(column), shown, format), row, column)
    }

    /// Writes a number (dates are numbers with a date format). The corresponding libxlsxwriter function is
    /// `worksheet_write_number`.
    /// - Throws: ``ReportError`` naming the cell.
    func writeNumber(
        _ value: Double,
        row: Int,
        column: Int,
        format: UnsafeMutablePointer<lxw_format>?
    ) throws(ReportError) {
        try check(worksheet_write_number(handle, lxw_row_t(row), lxw_col_t(column), value, format), row, column)
    }

    /// Writes an empty cell that still carries a format (borders, banding). The corresponding libxlsxwriter
    /// function is `worksheet_write_blank`.
    /// - Throws: ``ReportError`` naming the cell.
    func writeBlank(row: Int, column: Int, format: UnsafeMutablePointer<lxw_format>?) throws(ReportError) {
        try check(worksheet_write_blank(handle, lxw_row_t(row), lxw_col_t(column), format), row, column)
    }

    /// Merges a range and writes text into it, as text, made safe for the XML (``SpreadsheetText/cell(_:)``). The
    /// corresponding libxlsxwriter function is `worksheet_merge_range`.
    /// - Throws: ``ReportError`` naming the range.
    func mergeText(_ text: String, range: CellRange, format: UnsafeMutablePointer<lxw_format>?) throws(ReportError) {
        let status = worksheet_merge_range(
            handle,
            lxw_row_t(range.firstRow),
            lxw_col_t(range.firstColumn),
            lxw_row_t(range.lastRow),
            lxw_col_t(range.lastColumn),
            SpreadsheetText.cell(text),
            format
        )
        if status != LXW_NO_ERROR {
            throw ReportError(library: status, .cellWriteFailed, "cannot merge", sheet: name, cell: range.a1)
        }
    }

    /// Sets the width of one column, in characters of the default font. The corresponding libxlsxwriter
    /// function is `worksheet_set_column`.
    /// - Throws: ``ReportError`` naming the column.
    func setColumnWidth(_ column: Int, _ width: Double) throws(ReportError) {
        let status = worksheet_set_column(handle, lxw_col_t(column), lxw_col_t(column), width, nil)
        if status != LXW_NO_ERROR {
            throw ReportError(
                library: status,
                .sheetSetupFailed,
                "cannot set the width of column",
                sheet: name,
                cell: CellRange.columnName(column)
            )
        }
    }

    /// Sets the height of one row, in points. The corresponding libxlsxwriter function is `worksheet_set_row`.
    /// - Throws: ``ReportError`` naming the row.
    func setRowHeight(_ row: Int, _ height: Double) throws(ReportError) {
        let status = worksheet_set_row(handle, lxw_row_t(row), height, nil)
        if status != LXW_NO_ERROR {
            throw ReportError(
                library: status,
                .sheetSetupFailed,
                "cannot set the height of row",
                sheet: name,
                cell: "\(row + 1)"
            )
        }
    }

    /// Sets the height of every row not given one, in points. The corresponding libxlsxwriter function is
    /// `worksheet_set_default_row`.
    func setDefaultRowHeight(_ height: Double) {
        worksheet_set_default_row(handle, height, 0)
    }

    /// Freezes the rows above `row` and the columns left of `column`. The corresponding libxlsxwriter function
    /// is `worksheet_freeze_panes`.
    func freezePanes(row: Int, column: Int) {
        worksheet_freeze_panes(handle, lxw_row_t(row), lxw_col_t(column))
    }

    /// Turns on the filter buttons of a list (header row included). The corresponding libxlsxwriter function is
    /// `worksheet_autofilter`.
    /// - Throws: ``ReportError`` naming the range.
    func autofilter(_ range: CellRange) throws(ReportError) {
        let status = worksheet_autofilter(
            handle,
            lxw_row_t(range.firstRow),
            lxw_col_t(range.firstColumn),
            lxw_row_t(range.lastRow),
            lxw_col_t(range.lastColumn)
        )
        if status != LXW_NO_ERROR {
            throw ReportError(library: status, .sheetSetupFailed, "cannot add a filter to", sheet: name, cell: range.a1)
        }
    }

    /// Adds data bars to a range of counts, in the Excel 2007 form (gradient bars) that every reader knows;
    /// the Excel 2010 extension would make openpyxl warn and drop it. The corresponding libxlsxwriter function is
    /// `worksheet_conditional_format_range` with `LXW_CONDITIONAL_DATA_BAR`.
    /// - Throws: ``ReportError`` naming the range.
    func addDataBars(_ range: CellRange, color: UInt32) throws(ReportError) {
        var rule = lxw_conditional_format()
        rule.type = UInt8(LXW_CONDITIONAL_DATA_BAR.rawValue)
        rule.bar_color = color
        try addConditionalFormat(&rule, range)
    }

    /// Adds a red–yellow–green colour scale to a range of rates, anchored at 0 %, 50 % and 100 % so that the same
    /// rate has the same colour on every sheet and in every month. The corresponding libxlsxwriter function is
    /// `worksheet_conditional_format_range` with `LXW_CONDITIONAL_3_COLOR_SCALE`.
    /// - Throws: ``ReportError`` naming the range.
    func addColorScale(_ range: CellRange, low: UInt32, middle: UInt32, high: UInt32) throws(ReportError) {
        var rule = lxw_conditional_format()
        rule.type = UInt8(LXW_CONDITIONAL_3_COLOR_SCALE.rawValue)
        let number = UInt8(LXW_CONDITIONAL_RULE_TYPE_NUMBER.rawValue)
        rule.min_rule_type = number
        rule.min_value = 0
        rule.min_color = low
        rule.mid_rule_type = number
        rule.mid_value = 0.5
        rule.mid_color = middle
        rule.max_rule_type = number
        rule.max_value = 1
        rule.max_color = high
        try addConditionalFormat(&rule, range)
    }

    /// The corresponding libxlsxwriter function is `worksheet_conditional_format_range`.
    private func addConditionalFormat(_ rule: inout lxw_conditional_format, _ range: CellRange) throws(ReportError) {
        let status = worksheet_conditional_format_range(
            handle,
            lxw_row_t(range.firstRow),
            lxw_col_t(range.firstColumn),
            lxw_row_t(range.lastRow),
            lxw_col_t(range.lastColumn),
            &rule
        )
        if status != LXW_NO_ERROR {
            throw ReportError(
                library: status,
                .sheetSetupFailed,
                "cannot add conditional formatting to",
                sheet: name,
                cell: range.a1
            )
        }
    }

    /// Places a chart with its top-left corner in a cell. The corresponding libxlsxwriter function is
    /// `worksheet_insert_chart_opt`.
    /// - Parameters:
    ///   - chart: the chart, filled with its series.
    ///   - row: the anchor row.
    ///   - column: the anchor column.
    ///   - width: the width in pixels.
    ///   - height: the height in pixels.
    /// - Throws: ``ReportError`` naming the anchor cell.
    func insertChart(_ chart: Chart, row: Int, column: Int, width: Double, height: Double) throws(ReportError) {
        var options = lxw_chart_options()
        options.x_scale = width / 480
        options.y_scale = height / 288
        options.x_offset = 2
        options.y_offset = 2
        let status = worksheet_insert_chart_opt(handle, lxw_row_t(row), lxw_col_t(column), chart.handle, &options)
        if status != LXW_NO_ERROR {
            throw ReportError(
                library: status,
                .chartFailed,
                "cannot place the chart at",
                sheet: name,
                cell: CellRange.cellName(row: row, column: column)
            )
        }
    }

    /// Sets up printing: A4 landscape, one page wide (`pagesTall` 0 lets the height run on), narrow margins,
    /// centred, with a running header and page numbers in the footer. The corresponding libxlsxwriter functions
    /// are `worksheet_set_paper`, `worksheet_set_landscape`, `worksheet_fit_to_pages`, `worksheet_set_margins`,
    /// `worksheet_center_horizontally`, `worksheet_set_header` and `worksheet_set_footer`. Both texts go on one
    /// line and are made safe for the XML (``SpreadsheetText``).
    /// - Parameters:
    ///   - pagesTall: 1 to fit the sheet on one page, 0 for as many pages as it needs.
    ///   - header: the text of the page header (already escaped for `&`).
    ///   - footer: the text of the page footer.
    /// - Throws: ``ReportError`` when the header or footer is refused (longer than 255 characters).
    func setUpPrinting(pagesTall: Int, header: String, footer: String) throws(ReportError) {
        worksheet_set_paper(handle, 9)  // A4
        worksheet_set_landscape(handle)
        worksheet_fit_to_pages(handle, 1, UInt16(pagesTall))
        worksheet_set_margins(handle, 0.4, 0.4, 0.6, 0.6)
        worksheet_center_horizontally(handle)
        var status = worksheet_set_header(handle, SpreadsheetText.cell(SpreadsheetText.label(header)))
        if status != LXW_NO_ERROR {
            throw ReportError(library: status, .sheetSetupFailed, "cannot set the page header", sheet: name)
        }
        status = worksheet_set_footer(handle, SpreadsheetText.cell(SpreadsheetText.label(footer)))
        if status != LXW_NO_ERROR {
            throw ReportError(library: status, .sheetSetupFailed, "cannot set the page footer", sheet: name)
        }
    }

    /// Repeats rows at the top of every printed page. The corresponding libxlsxwriter function is
    /// `worksheet_repeat_rows`.
    /// - Throws: ``ReportError`` naming the rows.
    func repeatRowsOnPrintedPages(_ first: Int, through last: Int) throws(ReportError) {
        let status = worksheet_repeat_rows(handle, lxw_row_t(first), lxw_row_t(last))
        if status != LXW_NO_ERROR {
            throw ReportError(
                library: status,
                .sheetSetupFailed,
                "cannot repeat the header rows",
                sheet: name,
                cell: "\(first + 1):\(last + 1)"
            )
        }
    }

    /// Hides the grid lines on screen (they are never printed). The corresponding libxlsxwriter function is
    /// `worksheet_gridlines`.
    func hideGridlines() {
        worksheet_gridlines(handle, UInt8(LXW_HIDE_ALL_GRIDLINES.rawValue))
    }

    /// Colours the sheet's tab. The corresponding libxlsxwriter function is `worksheet_set_tab_color`.
    func setTabColor(_ color: UInt32) {
        worksheet_set_tab_color(handle, color)
    }

    /// Throws for a failed cell write.
    private func check(_ status: lxw_error, _ row: Int, _ column: Int) throws(ReportError) {
        if status != LXW_NO_ERROR {
            throw ReportError(
                library: status,
                .cellWriteFailed,
                "cannot write cell",
                sheet: name,
                cell: CellRange.cellName(row: row, column: column)
            )
        }
    }
}

/// A rectangle of cells, both corners included, counted from 0.
struct CellRange: Hashable {
    /// The top row.
    var firstRow: Int
    /// The left column.
    var firstColumn: Int
    /// The bottom row.
    var lastRow: Int
    /// The right column.
    var lastColumn: Int

    /// The range in A1 notation, e.g. `A4:J120` (`B5` for one cell).
    var a1: String {
        let first = Self.cellName(row: firstRow, column: firstColumn)
        if firstRow == lastRow && firstColumn == lastColumn { return first }
        return first + ":" + Self.cellName(row: lastRow, column: lastColumn)
    }

    /// The A1 name of a cell, e.g. `B5` for row 4, column 1.
    static func cellName(row: Int, column: Int) -> String { columnName(column) + String(row + 1) }

    /// The letters of a column, e.g. `A`, `Z`, `AA`.
    static func columnName(_ column: Int) -> String {
        var number = column + 1
        var letters: [Character] = []
        while number > 0 {
            let remainder = (number - 1) % 26
            letters.append(Character(Unicode.Scalar(UInt8(65 + remainder))))
            number = (number - 1) / 26
        }
        return String(letters.reversed())
    }
}
