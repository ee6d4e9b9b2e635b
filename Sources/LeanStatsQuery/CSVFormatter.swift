/// Renders a result as RFC 4180 comma-separated values.
///
/// The header row holds the column names (the JSON keys, in order). A field is quoted when it contains a comma, a
/// double quote, CR or LF, with quotes doubled inside. Numbers print as the table prints them (integers as digits,
/// doubles rounded to at most two decimals such as `71.43` or `50`), so a spreadsheet shows what the terminal
/// showed; JSON keeps full precision. `null` is an empty field. Records end
/// with LF, as the exports and Unix text tools do (RFC 4180 quoting otherwise), or CRLF on request.
public struct CSVFormatter: ResultFormatter {
    /// How records end.
    public enum LineEnding: String, Sendable, Hashable, CaseIterable {
        /// `\r\n`, as RFC 4180 specifies and spreadsheets expect.
        case crlf = "\r\n"
        /// `\n`, as Unix text tools prefer.
        case lf = "\n"
    }

    /// Whether the output starts with a UTF-8 byte order mark (U+FEFF), which makes Excel read it as UTF-8.
    public var byteOrderMark: Bool
    /// How records end.
    public var lineEnding: LineEnding

    /// Creates the formatter.
    /// - Parameters:
    ///   - byteOrderMark: whether to start with U+FEFF; off by default.
    ///   - lineEnding: how records end; LF by default.
    public init(byteOrderMark: Bool = false, lineEnding: LineEnding = .lf) {
        self.byteOrderMark = byteOrderMark
        self.lineEnding = lineEnding
    }

    /// Renders the header row and one record per row.
    /// - Parameter table: the result.
    /// - Returns: the records, each ending with the line ending.
    public func render(_ table: ResultTable) -> String {
        header(table.columns) + records(table.isSingleObject ? table.objectRows : table.rows, of: table)
    }

    /// Writes a `list` as the header, then the records of one chunk of rows at a time.
    public func writeList(
        _ rows: ListRows,
        isCancelled: () -> Bool,
        emit: (String) throws -> Void
    ) rethrows
        -> Bool
    {
        try emit(header(rows.columns))
        return try rows.forEachChunk { chunk in
            guard !isCancelled() else { return false }
            try emit(records(chunk.rows, of: chunk))
            return true
        }
    }

    /// The byte order mark when asked for, and the header row.
    private func header(_ columns: [String]) -> String {
        (byteOrderMark ? "\u{FEFF}" : "") + columns.map(Self.field).joined(separator: ",") + lineEnding.rawValue
    }

    /// One record per row.
    private func records(_ rows: [[ResultValue]], of table: ResultTable) -> String {
        var output = ""
        for row in rows {
            output += table.columns.indices.map { column in
                switch table.value(row, column) {
                case .string(let text): Self.field(text)
                case let value: value.roundedNumberText ?? ""
                }
            }.joined(separator: ",")
            output += lineEnding.rawValue
        }
        return output
    }

    /// One field, quoted when it has to be.
    static func field(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else {
            return text
        }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}
