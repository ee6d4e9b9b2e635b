/// Text made safe for the workbook's XML, applied where the report hands text to libxlsxwriter.
///
/// libxlsxwriter 1.1.4 escapes `&`, `<` and `>` everywhere and C0 control characters in shared strings, but it
/// copies control characters raw into chart XML (the cached category labels, titles, series names), page headers
/// and document properties, where they make the XML malformed and the workbook unreadable; a NUL cuts the text
/// short. It also writes text such as `_x0041_` as is, which Excel decodes as an escape (here `A`).
enum SpreadsheetText {
    /// Text for a cell or a page header: C0 control characters removed except tab and line feed (a carriage
    /// return becomes a line feed, `\r\n` one line feed), the noncharacters U+FFFE and U+FFFF removed, and every
    /// `_xHHHH_` written as `_x005F_xHHHH_` so that Excel shows it literally.
    ///
    /// The same text reaches the charts through the cells their categories refer to.
    /// - Parameter text: The text.
    /// - Returns: The text to write.
    /// - Complexity: O(n) in the text's length; text that needs nothing is returned as is.
    static func cell(_ text: String) -> String {
        sanitized(text, keepsLayout: true, escapesUnderscores: true)
    }

    /// Text for a label outside the cells: chart titles, series names and document properties. Tab and line breaks
    /// become spaces, the other C0 control characters and U+FFFE and U+FFFF are removed; `_xHHHH_` is left alone,
    /// as these places do not decode it.
    /// - Parameter text: The text.
    /// - Returns: The text to write.
    /// - Complexity: O(n) in the text's length.
    static func label(_ text: String) -> String {
        sanitized(text, keepsLayout: false, escapesUnderscores: false)
    }

    private static func sanitized(_ text: String, keepsLayout: Bool, escapesUnderscores: Bool) -> String {
        let scalars = Array(text.unicodeScalars)
        let needsWork = scalars.indices.contains { index in
            let value = scalars[index].value
            return value < 0x20 || value == 0xFFFE || value == 0xFFFF
                || (escapesUnderscores && isEscapeLike(scalars, at: index))
        }
        guard needsWork else { return text }
        var result = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            switch scalar.value {
            case 0x09 where keepsLayout, 0x0A where keepsLayout:
                result.append(scalar)
            case 0x0D where keepsLayout:
                if index + 1 >= scalars.count || scalars[index + 1] != "\n" { result.append("\n") }
            case 0x09, 0x0A, 0x0D:
                result.append(" ")
            case 0..<0x20, 0xFFFE, 0xFFFF:
                continue
            default:
                if escapesUnderscores && isEscapeLike(scalars, at: index) {
                    result.append(contentsOf: "_x005F".unicodeScalars)
                }
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Whether `_xHHHH_` (either case of `x`, hex digits in either case) starts at `index`.
    private static func isEscapeLike(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        guard scalars[index] == "_", index + 6 < scalars.count, scalars[index + 1] == "x" || scalars[index + 1] == "X",
            scalars[index + 6] == "_"
        else { return false }
        return scalars[(index + 2)...(index + 5)].allSatisfy { $0.properties.isASCIIHexDigit }
    }
}
