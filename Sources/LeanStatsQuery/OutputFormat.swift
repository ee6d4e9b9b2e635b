/// The `--format` choices of `leanstats query` and the REPL.
public enum OutputFormat: String, Sendable, Hashable, CaseIterable {
    /// Aligned columns for people (``TableFormatter``).
    case table
    /// RFC 4180 comma-separated values (``CSVFormatter``).
    case csv
    /// One JSON array of objects, or one object (``JSONFormatter``).
    case json
    /// One JSON object per line (``JSONLinesFormatter``).
    case jsonl

    /// The formatter for this format.
    /// - Parameter csvByteOrderMark: whether CSV output starts with a UTF-8 byte order mark (for Excel); ignored by
    ///   the other formats.
    /// - Returns: the formatter.
    public func formatter(csvByteOrderMark: Bool = false) -> any ResultFormatter {
        switch self {
        case .table: TableFormatter()
        case .csv: CSVFormatter(byteOrderMark: csvByteOrderMark)
        case .json: JSONFormatter()
        case .jsonl: JSONLinesFormatter()
        }
    }

    /// Renders a result in this format with default options.
    /// - Parameter table: the result.
    /// - Returns: the text.
    public func render(_ table: ResultTable) -> String { formatter().render(table) }
}
