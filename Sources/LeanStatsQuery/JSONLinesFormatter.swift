/// Renders a result as JSON Lines: one object per row, each on its own line (one line for a single object).
///
/// Values print as in ``JSONFormatter``; an empty result is empty output.
public struct JSONLinesFormatter: ResultFormatter {
    /// Creates the formatter.
    public init() {}

    /// Renders the result.
    /// - Parameter table: the result.
    /// - Returns: one object per line, each followed by a newline.
    public func render(_ table: ResultTable) -> String {
        let keys = JSONText.keys(of: table)
        return table.objectRows.map { JSONText.object($0, of: table, keys: keys) + "\n" }.joined()
    }

    /// Writes a `list` one chunk of rows at a time.
    public func writeList(
        _ rows: ListRows,
        isCancelled: () -> Bool,
        emit: (String) throws -> Void
    ) rethrows
        -> Bool
    {
        try rows.forEachChunk { chunk in
            guard !isCancelled() else { return false }
            try emit(render(chunk))
            return true
        }
    }
}
