import CXLSXWriter

/// A report that cannot be made: what went wrong, where (sheet and cell, or file), and how to fix it.
///
/// ``description`` is one sentence for stderr, e.g.
/// `report error: cannot write cell 明细!B5: String exceeds Excel's limit of 32,767 characters (libxlsxwriter
/// error 18); shorten the text`.
public struct ReportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is; stable for scripts and tests.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The period text is not a month, quarter, half-year, year or range.
        case invalidPeriod
        /// `--top` is not a positive whole number.
        case invalidTopCount
        /// `--dept` names a department that no instance in the store has.
        case unknownDepartment
        /// The output path cannot be created or replaced.
        case unwritableOutput
        /// A worksheet could not be added (bad or duplicate name).
        case sheetCreationFailed
        /// A value could not be written into a cell.
        case cellWriteFailed
        /// A sheet-level setting (column widths, filters, conditional formats, print setup) was refused.
        case sheetSetupFailed
        /// A chart could not be created or placed.
        case chartFailed
        /// The workbook could not be started, given its document properties, assembled or saved.
        case workbookFailed
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, e.g. `cannot write cell`.
    public var message: String
    /// How to fix it, e.g. `shorten the text`.
    public var hint: String?
    /// The worksheet the failure happened in, if any.
    public var sheet: String?
    /// The cell (`B5`) or range (`A4:J120`) the failure happened at, if any.
    public var cell: String?
    /// The file the failure concerns, if any.
    public var path: String?
    /// The libxlsxwriter status code (`lxw_error`), when the failure came from libxlsxwriter.
    public var libraryStatus: Int?
    /// libxlsxwriter's own text for ``libraryStatus``.
    public var libraryMessage: String?

    /// Creates an error.
    /// - Parameters:
    ///   - code: what kind of failure this is.
    ///   - message: what went wrong.
    ///   - hint: how to fix it.
    ///   - sheet: the worksheet, if any.
    ///   - cell: the cell or range, if any.
    ///   - path: the file, if any.
    ///   - libraryStatus: the libxlsxwriter status code, if any.
    ///   - libraryMessage: libxlsxwriter's text for the status.
    public init(
        _ code: Code,
        _ message: String,
        hint: String? = nil,
        sheet: String? = nil,
        cell: String? = nil,
        path: String? = nil,
        libraryStatus: Int? = nil,
        libraryMessage: String? = nil
    ) {
        self.code = code
        self.message = message
        self.hint = hint
        self.sheet = sheet
        self.cell = cell
        self.path = path
        self.libraryStatus = libraryStatus
        self.libraryMessage = libraryMessage
    }

    /// One sentence: `report error: ` + what went wrong, where, the library's reason and the fix.
    public var description: String {
        var text = "report error: \(message)"
        switch (sheet, cell) {
        case (let sheet?, let cell?): text += " \(sheet)!\(cell)"
        case (let sheet?, nil): text += " in sheet \(sheet)"
        default: break
        }
        if let path { text += " (\(path))" }
        if let libraryStatus {
            text += ": \(libraryMessage ?? "unknown failure") (libxlsxwriter error \(libraryStatus))"
        }
        if let hint { text += "; \(hint)" }
        return text
    }
}

extension ReportError {
    /// Turns a libxlsxwriter status into an error, with a fix that fits the status.
    /// - Parameters:
    ///   - status: the `lxw_error` a libxlsxwriter function returned (not `LXW_NO_ERROR`).
    ///   - code: the kind of failure, chosen by the caller from what it was doing.
    ///   - message: what was being done, e.g. `cannot write cell`.
    ///   - sheet: the worksheet, if any.
    ///   - cell: the cell or range, if any.
    ///   - path: the file, if any.
    init(
        library status: lxw_error,
        _ code: Code,
        _ message: String,
        sheet: String? = nil,
        cell: String? = nil,
        path: String? = nil
    ) {
        let library = lxw_strerror(status).map { String(cString: $0) }
        self.init(
            code,
            message,
            hint: Self.hint(for: status),
            sheet: sheet,
            cell: cell,
            path: path,
            libraryStatus: Int(status.rawValue),
            libraryMessage: library
        )
    }

    /// How to fix the failures a user can cause; other statuses are LeanStats bugs.
    static func hint(for status: lxw_error) -> String {
        switch status {
        case LXW_ERROR_MEMORY_MALLOC_FAILED:
            "free some memory or report a shorter period"
        case LXW_ERROR_CREATING_XLSX_FILE:
            "check that the directory exists and that you may write to it"
        case LXW_ERROR_CREATING_TMPFILE, LXW_ERROR_READING_TMPFILE:
            "check that the temporary directory (TMPDIR) exists, is writable and has free space"
        case LXW_ERROR_ZIP_FILE_OPERATION, LXW_ERROR_ZIP_FILE_ADD, LXW_ERROR_ZIP_CLOSE, LXW_ERROR_ZIP_BAD_ZIP_FILE:
            "check that the output disk has free space"
        case LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED, LXW_ERROR_255_STRING_LENGTH_EXCEEDED,
            LXW_ERROR_128_STRING_LENGTH_EXCEEDED, LXW_ERROR_32_STRING_LENGTH_EXCEEDED:
            "shorten the text"
        case LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE:
            "the sheet has more rows or columns than Excel allows; report a shorter period"
        default:
            "this is a LeanStats bug; please report it with the command line that caused it"
        }
    }
}
