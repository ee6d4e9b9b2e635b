/// One record of a CSV or TSV text: its fields, the line it starts on and whether it is malformed.
///
/// A record points into the text it was read from and is valid only inside the ``DelimitedReader`` callback.
public struct DelimitedRecord {
    /// Why a record could not be split cleanly.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// A quoted field runs to the end of the file without its closing quote.
        case unterminatedQuote
        /// A quoted field's closing quote is followed by text other than a delimiter or a line end.
        case textAfterClosingQuote

        /// The problem as a phrase for an issue report.
        public var description: String {
            switch self {
            case .unterminatedQuote: "a quoted field has no closing quote before the end of the file"
            case .textAfterClosingQuote: "text follows a closing quote; write a quote inside a quoted field as \"\""
            }
        }
    }

    let bytes: UnsafeBufferPointer<UInt8>
    /// The fields' places, in the reader's buffer.
    let spans: UnsafeBufferPointer<DelimitedSpan>
    let dialect: DelimitedReader.Dialect
    /// The 1-based physical line on which the record starts.
    public let line: Int
    /// The byte offset just after the record and its line end, for progress reports.
    public let endOffset: Int
    /// Why the record is malformed, or `nil` when it was split cleanly.
    public let problem: Problem?

    /// The number of fields.
    public var count: Int { spans.count }

    /// The field at a 0-based position.
    /// - Parameter index: The position, `0..<count`.
    public subscript(index: Int) -> DelimitedField {
        precondition(index >= 0 && index < spans.count, "field \(index) of a record of \(spans.count)")
        return DelimitedField(bytes: bytes, span: spans[index], dialect: dialect)
    }

    /// The decoded text of every field, `nil` where the field is missing (empty, `NULL` or `\N`).
    public var values: [String?] { (0..<count).map { self[$0].value } }

    /// The decoded text of every field, missing ones as they were written (empty for `\N` in TSV).
    public var texts: [String] { (0..<count).map { self[$0].text } }
}

/// One field of a ``DelimitedRecord``: a view into the text that decodes quotes and escapes on demand.
public struct DelimitedField {
    let bytes: UnsafeBufferPointer<UInt8>
    let span: DelimitedSpan
    let dialect: DelimitedReader.Dialect

    /// The raw bytes of the field, without surrounding quotes and before escapes are resolved.
    var raw: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[span.start..<span.end]) }

    /// Whether the field means "no value": empty, `NULL`, or `\N` (written raw, or as TSV's NULL marker).
    @inline(__always)
    public var isMissing: Bool {
        let raw = raw
        if span.escaped {
            if dialect == .tsv, raw.count == 2, raw[1] == UInt8(ascii: "N") { return true }
            return withDecodedBytes { Self.isMissingText($0) }
        }
        return Self.isMissingText(raw)
    }

    /// The decoded text; a missing field gives its literal text (`NULL`, `\N`) or the empty string.
    public var text: String {
        withDecodedBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The decoded text, or `nil` when the field is missing (see ``isMissing``).
    public var value: String? {
        isMissing ? nil : text
    }

    /// Calls `body` with the field's bytes after quotes and escapes are resolved.
    /// - Parameter body: Receives the decoded bytes, valid only during the call.
    /// - Returns: What `body` returns.
    public func withDecodedBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard span.escaped else { return try body(raw) }
        let decoded = dialect == .csv ? Self.unquote(raw) : Self.unescape(raw)
        return try decoded.withUnsafeBufferPointer(body)
    }

    static func isMissingText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch bytes.count {
        case 0: true
        case 2: bytes[0] == Byte.backslash && bytes[1] == UInt8(ascii: "N")
        case 4:
            bytes[0] == UInt8(ascii: "N") && bytes[1] == UInt8(ascii: "U") && bytes[2] == UInt8(ascii: "L")
                && bytes[3] == UInt8(ascii: "L")
        default: false
        }
    }

    /// Collapses CSV's doubled quotes.
    static func unquote(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            out.append(byte)
            index += byte == Byte.quote && index + 1 < raw.count && raw[index + 1] == Byte.quote ? 2 : 1
        }
        return out
    }

    /// Resolves MySQL's backslash escapes (`\0 \b \n \r \t \Z`; any other escaped byte stands for itself).
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            guard byte == Byte.backslash, index + 1 < raw.count else {
                out.append(byte)
                index += 1
                continue
            }
            let next = raw[index + 1]
            switch next {
            case UInt8(ascii: "0"): out.append(0)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "n"): out.append(Byte.lineFeed)
            case UInt8(ascii: "r"): out.append(Byte.carriageReturn)
            case UInt8(ascii: "t"): out.append(Byte.tab)
            case UInt8(ascii: "Z"): out.append(0x1A)
            default: out.append(next)
            }
            index += 2
        }
        return out
    }
}
