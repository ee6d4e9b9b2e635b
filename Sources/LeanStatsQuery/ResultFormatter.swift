/// Turns a ``ResultTable`` into text for stdout.
public protocol ResultFormatter: Sendable {
    /// Renders the whole result.
    /// - Parameter table: the result.
    /// - Returns: the text, ending with a newline unless it is empty.
    func render(_ table: ResultTable) -> String

    /// Writes the rows of a `list` one chunk at a time, so that their text is never held whole. The pieces,
    /// joined, are exactly ``render(_:)`` of all the rows.
    /// - Parameters:
    ///   - rows: the rows.
    ///   - isCancelled: asked before each chunk; when it answers `true`, writing stops.
    ///   - emit: receives each piece of text in order.
    /// - Returns: `false` when writing stopped because of `isCancelled`.
    func writeList(_ rows: ListRows, isCancelled: () -> Bool, emit: (String) throws -> Void) rethrows -> Bool
}

extension ResultFormatter {
    /// Renders all rows at once, for formatters that cannot print a part before they have seen it all.
    public func writeList(
        _ rows: ListRows,
        isCancelled: () -> Bool,
        emit: (String) throws -> Void
    ) rethrows
        -> Bool
    {
        guard !isCancelled() else { return false }
        try emit(render(rows.table))
        return true
    }

    /// Writes a result a piece at a time: a table whole, a `list` through ``writeList(_:isCancelled:emit:)``.
    /// - Returns: `false` when writing stopped because of `isCancelled`.
    public func write(
        _ stream: ResultStream,
        isCancelled: () -> Bool,
        emit: (String) throws -> Void
    ) rethrows
        -> Bool
    {
        switch stream {
        case .table(let table):
            try emit(render(table))
            return true
        case .list(let rows):
            return try writeList(rows, isCancelled: isCancelled, emit: emit)
        }
    }
}

/// Column widths and alignments gathered over every chunk of a list, for formatters that align columns.
public struct ColumnLayout {
    /// The widest cell of each column so far, header included.
    public private(set) var widths: [Int]
    /// Whether a column holds at least one number.
    private var hasNumber: [Bool]
    /// Whether a column holds text (a non-null value that is no number).
    private var hasText: [Bool]

    /// Starts with the header cells.
    /// - Parameter headerWidths: the display width of each column's header text.
    public init(headerWidths: [Int]) {
        widths = headerWidths
        hasNumber = Array(repeating: false, count: headerWidths.count)
        hasText = Array(repeating: false, count: headerWidths.count)
    }

    /// Whether a column is right-aligned: it holds numbers and nothing but numbers and `null`s.
    public func isNumeric(_ column: Int) -> Bool { hasNumber[column] && !hasText[column] }

    /// Widens the columns for one row.
    /// - Parameters:
    ///   - cellWidths: the display width of each cell.
    ///   - values: the row's values, for the alignment.
    ///   - isNumber: whether a value counts as a number (a non-finite double does not).
    public mutating func add(cellWidths: [Int], values: [ResultValue], isNumber: (ResultValue) -> Bool) {
        for column in widths.indices {
            if cellWidths[column] > widths[column] { widths[column] = cellWidths[column] }
            let value = column < values.count ? values[column] : .null
            guard value != .null else { continue }
            if isNumber(value) { hasNumber[column] = true } else { hasText[column] = true }
        }
    }
}
