import LeanStatsQuery

/// Renders a result as a GitHub-flavoured Markdown table, for pasting into a wiki page, an issue or a report.
///
/// A header row of the column names, a delimiter row (`---:` right-aligns columns whose values are all numbers),
/// then one row per result row. Cells are padded to the column's display width (``displayWidth(_:)-(String)``, so
/// Chinese names line up in the source too). Numbers print as in the table and CSV (integers as digits, doubles
/// rounded to at most two decimals); `null` is an empty cell. In text, `\` and `|` are escaped with a
/// backslash and line breaks become `<br>`, so a value can never end its cell or its row early.
struct MarkdownFormatter: ResultFormatter {
    /// Renders the table.
    /// - Parameter table: the result.
    /// - Returns: the rows, each ending with `\n`; an empty result is the header and delimiter rows alone.
    func render(_ table: ResultTable) -> String {
        let rows = table.isSingleObject ? [table.rows.first ?? []] : table.rows
        let values = rows.map { row in table.columns.indices.map { $0 < row.count ? row[$0] : ResultValue.null } }
        let cells = values.map { $0.map(Self.cellText) }
        let numeric = table.columns.indices.map { column in
            let present = values.map { $0[column] }.filter { $0 != .null }
            return !present.isEmpty && present.allSatisfy(Self.isNumber)
        }
        let header = table.columns.map(Self.escaped)
        let widths = table.columns.indices.map { column in
            cells.reduce(max(displayWidth(header[column]), 3)) { max($0, displayWidth($1[column])) }
        }
        func line(_ texts: [String]) -> String {
            let padded = texts.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - displayWidth(text))
                return numeric[column] ? padding + text : text + padding
            }
            return "| " + padded.joined(separator: " | ") + " |\n"
        }
        let delimiter = widths.indices.map { column in
            numeric[column]
                ? String(repeating: "-", count: widths[column] - 1) + ":"
                : String(repeating: "-", count: widths[column])
        }
        return line(header) + "| " + delimiter.joined(separator: " | ") + " |\n" + cells.map(line).joined()
    }

    /// Writes a `list` in two passes over its chunks (widths and alignment first, then the rows); the output is
    /// the same as ``render(_:)``'s.
    func writeList(_ rows: ListRows, isCancelled: () -> Bool, emit: (String) throws -> Void) rethrows -> Bool {
        let header = rows.columns.map(Self.escaped)
        var layout = ColumnLayout(headerWidths: header.map { max(displayWidth($0), 3) })
        let measured = rows.forEachChunk { chunk in
            guard !isCancelled() else { return false }
            for row in chunk.rows {
                layout.add(
                    cellWidths: row.map { displayWidth(Self.cellText($0)) },
                    values: row,
                    isNumber: Self.isNumber
                )
            }
            return true
        }
        guard measured else { return false }
        func line(_ texts: [String]) -> String {
            let padded = texts.enumerated().map { column, text in
                let padding = String(repeating: " ", count: layout.widths[column] - displayWidth(text))
                return layout.isNumeric(column) ? padding + text : text + padding
            }
            return "| " + padded.joined(separator: " | ") + " |\n"
        }
        let delimiter = layout.widths.indices.map { column in
            layout.isNumeric(column)
                ? String(repeating: "-", count: layout.widths[column] - 1) + ":"
                : String(repeating: "-", count: layout.widths[column])
        }
        try emit(line(header) + "| " + delimiter.joined(separator: " | ") + " |\n")
        return try rows.forEachChunk { chunk in
            guard !isCancelled() else { return false }
            try emit(chunk.rows.map { line($0.map(Self.cellText)) }.joined())
            return true
        }
    }

    /// The text of one cell.
    static func cellText(_ value: ResultValue) -> String {
        switch value {
        case .string(let text): escaped(text)
        case let number: number.roundedNumberText ?? ""
        }
    }

    /// Whether a value is a number that prints (and so right-aligns its column).
    static func isNumber(_ value: ResultValue) -> Bool {
        switch value {
        case .int: true
        case .double(let number): number.isFinite
        case .string, .null: false
        }
    }

    /// Text made safe inside a table cell: `\` → `\\`, `|` → `\|`, line breaks → `<br>`, other control
    /// characters → a space.
    static func escaped(_ text: String) -> String {
        var result = ""
        var scalars = text.unicodeScalars[...]
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "\\": result += "\\\\"
            case "|": result += "\\|"
            case "\r":
                if scalars.first == "\n" { scalars.removeFirst() }
                result += "<br>"
            case "\n": result += "<br>"
            case _ where scalar.properties.generalCategory == .control: result += " "
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
