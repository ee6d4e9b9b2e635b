/// Renders a result as one line of JSON: an array of objects, or one object when the result is a single object.
///
/// Keys follow the column order. Integers print as integers; doubles print unrounded with Swift's shortest
/// round-trip `description`, so an integral double keeps its fraction (`50.0`) and a rate reads
/// `71.42857142857143`; a non-finite double (never produced by the statistics) prints as `null`. Strings escape
/// `"`, `\` and control characters (as `\u00XX`) and keep other characters as UTF-8. Example:
/// `[{"dept":"生产部","pass_rate":71.42857142857143}]`.
public struct JSONFormatter: ResultFormatter {
    /// Creates the formatter.
    public init() {}

    /// Renders the result.
    /// - Parameter table: the result.
    /// - Returns: the JSON text followed by a newline.
    public func render(_ table: ResultTable) -> String {
        let keys = JSONText.keys(of: table)
        guard !table.isSingleObject else { return JSONText.object(table.objectRows[0], of: table, keys: keys) + "\n" }
        var text = "["
        text.reserveCapacity(table.rows.count * 16 * max(keys.count, 1))
        for (index, row) in table.rows.enumerated() {
            if index > 0 { text += "," }
            text += JSONText.object(row, of: table, keys: keys)
        }
        return text + "]\n"
    }

    /// Writes a `list` as `[`, the objects of one chunk of rows at a time, and `]`.
    public func writeList(
        _ rows: ListRows,
        isCancelled: () -> Bool,
        emit: (String) throws -> Void
    ) rethrows
        -> Bool
    {
        let keys = rows.columns.map { JSONText.string($0) + ":" }
        var first = true
        try emit("[")
        let complete = try rows.forEachChunk { chunk in
            guard !isCancelled() else { return false }
            var text = ""
            for row in chunk.rows {
                if !first { text += "," }
                first = false
                text += JSONText.object(row, of: chunk, keys: keys)
            }
            try emit(text)
            return true
        }
        guard complete else { return false }
        try emit("]\n")
        return true
    }
}

/// The JSON encoding shared by the JSON formatters.
enum JSONText {
    /// The column names as JSON strings followed by a colon, escaped once for every row.
    static func keys(of table: ResultTable) -> [String] {
        table.columns.map { string($0) + ":" }
    }

    /// One row as an object whose keys are the columns.
    /// - Parameter keys: ``keys(of:)`` of the table.
    static func object(_ row: [ResultValue], of table: ResultTable, keys: [String]) -> String {
        var text = "{"
        for (column, key) in keys.enumerated() {
            if column > 0 { text += "," }
            text += key
            text += value(table.value(row, column))
        }
        return text + "}"
    }

    /// One value.
    static func value(_ value: ResultValue) -> String {
        switch value {
        case .string(let text): string(text)
        case .int, .double, .null: value.numberText ?? "null"
        }
    }

    /// A string literal with `"`, `\` and control characters escaped.
    static func string(_ text: String) -> String {
        // Names and ids seldom hold a character to escape: then the text goes in as it is.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
