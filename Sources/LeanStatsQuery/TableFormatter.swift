/// Renders a result as aligned columns for a terminal.
///
/// A header line, a line of `-` under each column, then one line per row; columns are two spaces apart and as wide
/// as their widest cell in terminal columns (``displayWidth(_:)-(String)``, so Chinese text lines up). Numbers are
/// right-aligned, text left-aligned; doubles show at most two decimals (`71.43`, `12.5`, `50`); `null` shows as `–`;
/// control characters in text show as escapes (`\n`, `\u{1B}`). Trailing spaces are trimmed. An empty result
/// prints the header and `(0 rows)`.
public struct TableFormatter: ResultFormatter {
    /// Creates the formatter.
    public init() {}

    /// Renders the table.
    /// - Parameter table: the result.
    /// - Returns: the lines, each ending with `\n`.
    public func render(_ table: ResultTable) -> String {
        let rows = table.isSingleObject ? table.objectRows : table.rows
        let cells = rows.map { row in table.columns.indices.map { Self.cellText(table.value(row, $0)) } }
        let numeric = table.columns.indices.map { column in
            let values = rows.map { table.value($0, column) }.filter { $0 != .null }
            return !values.isEmpty && values.allSatisfy(\.isNumber)
        }
        let widths = table.columns.indices.map { column in
            cells.reduce(displayWidth(Self.escaped(table.columns[column]))) { max($0, displayWidth($1[column])) }
        }
        func line(_ texts: [String], rightAligned: (Int) -> Bool) -> String {
            var text = ""
            for (column, cell) in texts.enumerated() {
                let padding = String(repeating: " ", count: max(widths[column] - displayWidth(cell), 0))
                if column > 0 { text += "  " }
                text += rightAligned(column) ? padding + cell : cell + padding
            }
            while text.last == " " { text.removeLast() }
            return text + "\n"
        }
        var output = line(table.columns.map(Self.escaped)) { numeric[$0] }
        output += line(widths.map { String(repeating: "-", count: $0) }) { _ in false }
        for (row, texts) in zip(rows, cells) {
            output += line(texts) { column in
                let value = table.value(row, column)
                return value.isNumber || (value == .null && numeric[column])
            }
        }
        if rows.isEmpty { output += "(0 rows)\n" }
        return output
    }

    /// Writes the rows in two passes over their chunks: the first finds each column's width and alignment, the
    /// second prints. The output is the same as ``render(_:)``'s.
    public func writeList(
        _ rows: ListRows,
        isCancelled: () -> Bool,
        emit: (String) throws -> Void
    ) rethrows
        -> Bool
    {
        let header = rows.columns.map(Self.escaped)
        var layout = ColumnLayout(headerWidths: header.map(displayWidth))
        let measured = rows.forEachChunk { chunk in
            guard !isCancelled() else { return false }
            for row in chunk.rows {
                layout.add(cellWidths: row.map { displayWidth(Self.cellText($0)) }, values: row) { $0.isNumber }
            }
            return true
        }
        guard measured else { return false }
        func line(_ texts: [String], rightAligned: (Int) -> Bool) -> String {
            var text = ""
            for (column, cell) in texts.enumerated() {
                let padding = String(repeating: " ", count: max(layout.widths[column] - displayWidth(cell), 0))
                if column > 0 { text += "  " }
                text += rightAligned(column) ? padding + cell : cell + padding
            }
            while text.last == " " { text.removeLast() }
            return text + "\n"
        }
        try emit(
            line(header) { layout.isNumeric($0) }
                + line(layout.widths.map { String(repeating: "-", count: $0) }) { _ in false }
        )
        let printed = try rows.forEachChunk { chunk in
            guard !isCancelled() else { return false }
            var text = ""
            for row in chunk.rows {
                text += line(row.map(Self.cellText)) { column in
                    let value = chunk.value(row, column)
                    return value.isNumber || (value == .null && layout.isNumeric(column))
                }
            }
            try emit(text)
            return true
        }
        if printed && rows.count == 0 { try emit("(0 rows)\n") }
        return printed
    }

    /// The text of a cell in the table view.
    static func cellText(_ value: ResultValue) -> String {
        switch value {
        case .int(let number): String(number)
        case .double(let number): twoDecimals(number)
        case .string(let text): escaped(text)
        case .null: "–"
        }
    }

    /// A number rounded half away from zero to at most two decimals, without trailing zeros: `71.43`, `12.5`, `50`.
    static func twoDecimals(_ number: Double) -> String {
        guard number.isFinite else { return "" }
        let scaled = (number * 100).rounded(.toNearestOrAwayFromZero)
        guard scaled.magnitude < 9e15 else { return largeNumberText(number) }
        let hundredths = Int(scaled.magnitude)
        let sign = scaled < 0 && hundredths != 0 ? "-" : ""
        let whole = hundredths / 100
        let fraction = hundredths % 100
        if fraction == 0 { return "\(sign)\(whole)" }
        if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
        return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Large magnitudes: the nearest whole number, or the shortest round-trip text beyond `Int`.
    private static func largeNumberText(_ number: Double) -> String {
        let rounded = number.rounded(.toNearestOrAwayFromZero)
        return rounded.magnitude < 9.2e18 ? String(Int(rounded)) : number.description
    }

    /// The text with control characters replaced by visible escapes so that one row stays on one line.
    static func escaped(_ text: String) -> String {
        guard hasControlCharacter(text) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Whether the text holds a control character (general category Cc: U+0000–U+001F, U+007F–U+009F), read from
    /// its UTF-8 bytes: C1 controls are the two bytes 0xC2 0x80–0x9F.
    static func hasControlCharacter(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F || previous == 0xC2 && (0x80..<0xA0).contains(byte) { return true }
            previous = byte
        }
        return false
    }
}
