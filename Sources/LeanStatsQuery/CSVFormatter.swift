/// Renders a result as RFC 4180 comma-separated values.
///
/// The header row holds the column names (the JSON keys, in order). A field is quoted when it contains a comma, a
/// double quote, CR or LF, with quotes doubled inside. Numbers are unrounded (integers as digits, doubles with
/// Swift's shortest round-trip text such as `71.42857142857143` or `50.0`); `null` is an empty field. Records end
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
        var output = byteOrderMark ? "\u{FEFF}" : ""
        output += table.columns.map(Self.field).joined(separator: ",") + lineEnding.rawValue
        for row in table.isSingleObject ? table.objectRows : table.rows {
            output += table.columns.indices.map { column in
                switch table.value(row, column) {
                case .string(let text): Self.field(text)
                case let value: value.numberText ?? ""
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
