import CXLSXWriter

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one libxlsxwriter workbook (`lxw_workbook *`) and frees it: either ``close()`` writes the file, or
/// `deinit` discards an unfinished workbook without writing anything.
///
/// Each method wraps one libxlsxwriter call and turns its `lxw_error` into a thrown ``ReportError``. The
/// workbook is used from one thread.
final class Workbook {
    /// The file the workbook is written to on ``close()``.
    let path: String
    /// The font every format uses.
    let fontName: String
    /// The handle, `nil` once closed.
    private var handle: UnsafeMutablePointer<lxw_workbook>?
    /// The format of each style and banding, created on first use.
    private var formats: [StyleKey: UnsafeMutablePointer<lxw_format>] = [:]

    /// A style on a plain or a banded row.
    private struct StyleKey: Hashable {
        var style: CellStyle
        var banded: Bool
    }

    /// Starts a workbook. The corresponding libxlsxwriter function is `workbook_new`.
    /// - Parameters:
    ///   - path: the file to write on ``close()``; nothing is written before.
    ///   - fontName: the font of every format, including the default one empty cells use.
    /// - Throws: ``ReportError`` when libxlsxwriter cannot allocate the workbook.
    init(path: String, fontName: String) throws(ReportError) {
        guard let handle = workbook_new(path) else {
            throw ReportError(
                .workbookFailed,
                "cannot start a workbook",
                hint: "free some memory and try again",
                path: path
            )
        }
        self.path = path
        self.fontName = fontName
        self.handle = handle
        // The default format (the first one) styles empty cells and defines the width unit of columns.
        if let defaultFormat = handle.pointee.formats?.pointee.stqh_first {
            Self.applyFont(fontName, to: defaultFormat)
        }
    }

    deinit {
        if let handle { lxw_workbook_free(handle) }
    }

    /// The open handle.
    private var open: UnsafeMutablePointer<lxw_workbook> {
        guard let handle else { preconditionFailure("the workbook \(path) is already closed") }
        return handle
    }

    /// Adds a worksheet. The corresponding libxlsxwriter function is `workbook_add_worksheet`.
    /// - Parameter name: the sheet name (at most 31 characters, none of `[]:*?/\`).
    /// - Returns: the sheet.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/sheetCreationFailed`` for a bad or repeated name.
    func addWorksheet(named name: String) throws(ReportError) -> Worksheet {
        let status = workbook_validate_sheet_name(open, name)
        if status != LXW_NO_ERROR {
            throw ReportError(library: status, .sheetCreationFailed, "cannot add the worksheet", sheet: name)
        }
        guard let sheet = workbook_add_worksheet(open, name) else {
            throw ReportError(.sheetCreationFailed, "cannot add the worksheet", hint: "free some memory", sheet: name)
        }
        return Worksheet(name: name, handle: sheet)
    }

    /// Adds a chart, to be filled and then inserted into a worksheet. The corresponding libxlsxwriter function is
    /// `workbook_add_chart`.
    /// - Parameters:
    ///   - kind: the chart type.
    ///   - sheet: the sheet the chart will be placed on, for errors.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/chartFailed`` when libxlsxwriter refuses.
    func addChart(_ kind: Chart.Kind, for sheet: String) throws(ReportError) -> Chart {
        guard let chart = workbook_add_chart(open, kind.rawValue) else {
            throw ReportError(.chartFailed, "cannot create a chart", hint: "free some memory", sheet: sheet)
        }
        return Chart(handle: chart, kind: kind, sheet: sheet, fontName: fontName)
    }

    /// Sets the document properties, with a fixed creation time so that the same data gives the same bytes. The
    /// texts are made safe for the XML (``SpreadsheetText/label(_:)``).
    /// The corresponding libxlsxwriter function is `workbook_set_properties`.
    /// - Parameters:
    ///   - title: the document title.
    ///   - subject: the subject.
    ///   - author: the author.
    ///   - keywords: comma-separated keywords.
    ///   - comments: a comment.
    ///   - created: the creation time in Unix seconds; must not be 0 (libxlsxwriter reads 0 as "now").
    func setProperties(
        title: String,
        subject: String,
        author: String,
        keywords: String,
        comments: String,
        created: Int64
    ) throws(ReportError) {
        let strings = [title, subject, author, keywords, comments].map { text in
            SpreadsheetText.label(text).withCString { strdup($0) }
        }
        defer { for string in strings { free(string) } }
        var properties = lxw_doc_properties()
        properties.title = strings[0]
        properties.subject = strings[1]
        properties.author = strings[2]
        properties.keywords = strings[3]
        properties.comments = strings[4]
        properties.created = time_t(created == 0 ? 1 : created)
        let status = workbook_set_properties(open, &properties)
        if status != LXW_NO_ERROR {
            throw ReportError(library: status, .workbookFailed, "cannot set the document properties", path: path)
        }
    }

    /// The format of a style, created on first use. The corresponding libxlsxwriter function is
    /// `workbook_add_format`.
    /// - Parameters:
    ///   - style: the style.
    ///   - banded: whether the cell is on a shaded (alternate) table row.
    func format(_ style: CellStyle, banded: Bool = false) -> UnsafeMutablePointer<lxw_format>? {
        let key = StyleKey(style: style, banded: banded && style.isTableCell)
        if let existing = formats[key] { return existing }
        guard let format = workbook_add_format(open) else { return nil }
        Self.configure(format, as: key.style, banded: key.banded, fontName: fontName)
        formats[key] = format
        return format
    }

    /// Assembles and writes the file, then frees the workbook; later calls do nothing. The corresponding
    /// libxlsxwriter function is `workbook_close`.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/workbookFailed`` when the file cannot be
    ///   written.
    func close() throws(ReportError) {
        guard let handle else { return }
        self.handle = nil
        formats = [:]
        let status = workbook_close(handle)
        if status != LXW_NO_ERROR {
            throw ReportError(library: status, .workbookFailed, "cannot save the workbook", path: path)
        }
    }

    // MARK: - Formats

    /// Sets the font of a format: the name, and the GB2312 character set so that Excel picks a Chinese font
    /// where the named one is missing.
    private static func applyFont(_ name: String, to format: UnsafeMutablePointer<lxw_format>) {
        format_set_font_name(format, name)
        format_set_font_family(format, 2)
        format_set_font_charset(format, 134)
    }

    /// Gives a fresh format the look of a style. The corresponding libxlsxwriter functions are `format_set_*`.
    private static func configure(
        _ format: UnsafeMutablePointer<lxw_format>,
        as style: CellStyle,
        banded: Bool,
        fontName: String
    ) {
        applyFont(fontName, to: format)
        format_set_font_size(format, 11)
        format_set_align(format, UInt8(LXW_ALIGN_VERTICAL_CENTER.rawValue))
        if let numberFormat = style.numberFormat { format_set_num_format(format, numberFormat) }
        if style.isTableCell {
            format_set_border(format, UInt8(LXW_BORDER_THIN.rawValue))
            format_set_border_color(format, ReportColor.border)
            if banded {
                format_set_pattern(format, UInt8(LXW_PATTERN_SOLID.rawValue))
                format_set_bg_color(format, ReportColor.band)
            }
        }
        switch style {
        case .title:
            format_set_bold(format)
            format_set_font_size(format, 18)
            format_set_font_color(format, ReportColor.navy)
        case .subtitle:
            format_set_font_size(format, 10)
            format_set_font_color(format, ReportColor.grey)
        case .summary:
            format_set_text_wrap(format)
            format_set_font_color(format, ReportColor.navy)
        case .section:
            format_set_bold(format)
            format_set_font_color(format, ReportColor.navy)
            format_set_bottom(format, UInt8(LXW_BORDER_MEDIUM.rawValue))
            format_set_bottom_color(format, ReportColor.navy)
        case .header:
            format_set_bold(format)
            format_set_font_color(format, 0xFFFFFF)
            format_set_pattern(format, UInt8(LXW_PATTERN_SOLID.rawValue))
            format_set_bg_color(format, ReportColor.headerFill)
            format_set_align(format, UInt8(LXW_ALIGN_CENTER.rawValue))
            format_set_text_wrap(format)
            format_set_border(format, UInt8(LXW_BORDER_THIN.rawValue))
            format_set_border_color(format, ReportColor.border)
        case .centeredText:
            format_set_align(format, UInt8(LXW_ALIGN_CENTER.rawValue))
        case .label:
            format_set_bold(format)
            if !banded {
                format_set_pattern(format, UInt8(LXW_PATTERN_SOLID.rawValue))
                format_set_bg_color(format, ReportColor.labelFill)
            }
        case .paragraph:
            format_set_text_wrap(format)
            format_set_align(format, UInt8(LXW_ALIGN_VERTICAL_TOP.rawValue))
        case .note:
            format_set_font_size(format, 9)
            format_set_font_color(format, ReportColor.grey)
        case .text, .count, .rate, .days, .wholeDays, .ratio, .amount, .dateTime, .month, .countChange, .rateChange,
            .pointChange, .daysChange:
            break
        }
    }
}
