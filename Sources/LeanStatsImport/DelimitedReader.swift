/// Splits CSV (RFC 4180) or MySQL TSV text into records of fields, working on the bytes in place.
///
/// Both dialects accept LF, CRLF and lone CR line ends, skip a UTF-8 byte order mark at the start and blank
/// lines between records, and read a last record with or without a line end. Fields are handed out as
/// ``DelimitedField`` views into the buffer; only fields with escapes are copied when their text is taken.
///
/// ```swift
/// let reader = DelimitedReader(dialect: .csv)
/// bytes.withUnsafeBufferPointer { buffer in
///     reader.forEachRecord(in: buffer) { record in print(record.line, record[0].value ?? "NULL") }
/// }
/// ```
public struct DelimitedReader: Sendable {
    /// The text conventions of a file.
    public enum Dialect: Sendable, Hashable {
        /// RFC 4180: comma-separated; a field in `"` may hold commas, line breaks and `""` for one quote.
        case csv
        /// `mysql --batch` / `SELECT … INTO OUTFILE`: tab-separated; `\t \n \r \\ \0` (and a backslash before
        /// a literal tab or line break) are escapes, `\N` is NULL.
        case tsv
    }

    /// The dialect this reader splits.
    public let dialect: Dialect

    /// Creates a reader for one dialect.
    /// - Parameter dialect: CSV or TSV.
    public init(dialect: Dialect) {
        self.dialect = dialect
    }

    /// Guesses the dialect of a file from its first line: TSV when the line holds a tab, CSV otherwise.
    /// - Parameter bytes: The file contents (or at least its first line).
    /// - Returns: The dialect to read the file with.
    public static func dialect(of bytes: UnsafeBufferPointer<UInt8>) -> Dialect {
        for byte in bytes {
            if byte == Byte.tab { return .tsv }
            if byte == Byte.lineFeed || byte == Byte.carriageReturn { break }
        }
        return .csv
    }

    /// Calls `body` with every record of the text, or of the records that start in a part of it, in order.
    ///
    /// A record that is malformed (an unterminated quote, text after a closing quote) is still handed out, with
    /// its ``DelimitedRecord/problem`` set, so the caller can report it with its line.
    /// - Parameters:
    ///   - bytes: The whole text; the records and fields passed to `body` point into it and are valid only
    ///     during the call.
    ///   - start: Where to begin: 0 (a byte order mark there is skipped) or the start of a record.
    ///   - firstLine: The line number at `start`.
    ///   - stop: No record starting at or after this offset is read; a record starting before it is read to its
    ///     end even past it. `nil` reads to the end of the text.
    ///   - body: Called once per record.
    /// - Returns: The offset after the last record read (and any blank lines after it, up to `stop`) and the line
    ///   number there.
    /// - Throws: Whatever `body` throws; reading stops there.
    /// - Complexity: O(n) in the number of bytes; no allocation per record: the field list is one buffer, reused
    ///   and grown when a record has more fields than any before.
    @discardableResult
    public func forEachRecord<E: Error>(
        in bytes: UnsafeBufferPointer<UInt8>,
        from start: Int = 0,
        line firstLine: Int = 1,
        until stop: Int? = nil,
        _ body: (DelimitedRecord) throws(E) -> Void
    ) throws(E) -> (offset: Int, line: Int) {
        let count = bytes.count
        let limit = min(stop ?? count, count)
        let delimiter = dialect == .csv ? Byte.comma : Byte.tab
        let quotes = dialect == .csv
        let escapes = dialect == .tsv
        let quickLimit = max(delimiter, Byte.carriageReturn)
        var index = start == 0 && hasByteOrderMark(bytes) ? 3 : start
        var line = firstLine
        // The fields of the record at hand, in a buffer of its own rather than an array: no uniqueness check or
        // reference count per field and per record.
        var capacity = 16
        var spans = UnsafeMutablePointer<DelimitedSpan>.allocate(capacity: capacity)
        defer { spans.deallocate() }
        var spanCount = 0
        @inline(__always) func append(_ span: DelimitedSpan) {
            if spanCount == capacity {
                let grown = UnsafeMutablePointer<DelimitedSpan>.allocate(capacity: capacity * 2)
                grown.moveInitialize(from: spans, count: spanCount)
                spans.deallocate()
                spans = grown
                capacity *= 2
            }
            (spans + spanCount).initialize(to: span)
            spanCount += 1
        }

        while index < limit {
            let first = bytes[index]
            if first == Byte.lineFeed || first == Byte.carriageReturn {
                index = skipLineEnd(bytes, at: index)
                line += 1
                continue
            }
            let startLine = line
            var problem: DelimitedRecord.Problem?
            spanCount = 0

            fields: while true {
                var start = index
                var escaped = false
                if quotes, index < count, bytes[index] == Byte.quote {
                    index += 1
                    start = index
                    var closed = false
                    while index < count {
                        if index + 8 <= count {
                            // Eight bytes at a time up to the next quote or line end.
                            let word = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
                            let special =
                                Word.zeroBytes(word ^ Word.quotes) | Word.zeroBytes(word ^ Word.lineFeeds)
                                | Word.zeroBytes(word ^ Word.carriageReturns)
                            if special == 0 {
                                index += 8
                                continue
                            }
                            index += special.trailingZeroBitCount >> 3
                        }
                        let byte = bytes[index]
                        if byte == Byte.quote {
                            if index + 1 < count, bytes[index + 1] == Byte.quote {
                                escaped = true
                                index += 2
                                continue
                            }
                            closed = true
                            break
                        }
                        if byte == Byte.lineFeed {
                            line += 1
                        } else if byte == Byte.carriageReturn, index + 1 >= count || bytes[index + 1] != Byte.lineFeed {
                            line += 1
                        }
                        index += 1
                    }
                    append(DelimitedSpan(start: start, end: index, escaped: escaped))
                    guard closed else {
                        problem = problem ?? .unterminatedQuote
                        break fields
                    }
                    index += 1
                    if index < count {
                        let byte = bytes[index]
                        if byte != delimiter, byte != Byte.lineFeed, byte != Byte.carriageReturn {
                            problem = problem ?? .textAfterClosingQuote
                            while index < count {
                                let byte = bytes[index]
                                if byte == delimiter || byte == Byte.lineFeed || byte == Byte.carriageReturn { break }
                                index += 1
                            }
                        }
                    }
                } else {
                    while index < count {
                        if index + 8 <= count {
                            // Eight bytes at a time while none is special: most bytes (digits, letters, UTF-8
                            // sequences) are above every special byte but TSV's `\`.
                            let word = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
                            let special =
                                Word.bytesBelow(word, quickLimit + 1)
                                | (escapes ? Word.zeroBytes(word ^ Word.backslashes) : 0)
                            if special == 0 {
                                index += 8
                                continue
                            }
                            index += special.trailingZeroBitCount >> 3
                        }
                        let byte = bytes[index]
                        if byte > quickLimit, byte != Byte.backslash {
                            index += 1
                            continue
                        }
                        if byte == delimiter || byte == Byte.lineFeed || byte == Byte.carriageReturn { break }
                        if escapes, byte == Byte.backslash {
                            escaped = true
                            if index + 1 < count {
                                let next = bytes[index + 1]
                                if next == Byte.lineFeed {
                                    line += 1
                                } else if next == Byte.carriageReturn {
                                    // A backslash-escaped CRLF is one escaped line break.
                                    line += 1
                                    if index + 2 < count, bytes[index + 2] == Byte.lineFeed { index += 1 }
                                }
                            }
                            index = min(index + 2, count)
                            continue
                        }
                        index += 1
                    }
                    append(DelimitedSpan(start: start, end: index, escaped: escaped))
                }
                guard index < count else { break fields }
                if bytes[index] == delimiter {
                    index += 1
                    continue fields
                }
                index = skipLineEnd(bytes, at: index)
                line += 1
                break fields
            }
            try body(
                DelimitedRecord(
                    bytes: bytes,
                    spans: UnsafeBufferPointer(start: spans, count: spanCount),
                    dialect: dialect,
                    line: startLine,
                    endOffset: index,
                    problem: problem
                )
            )
        }
        return (index, line)
    }

    private func hasByteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// The index after the line end (LF, CR or CRLF) at `index`.
    @inline(__always)
    private func skipLineEnd(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        if bytes[index] == Byte.carriageReturn, index + 1 < bytes.count, bytes[index + 1] == Byte.lineFeed {
            return index + 2
        }
        return index + 1
    }
}

/// Where one field lies in the text: a half-open byte range, without surrounding quotes.
struct DelimitedSpan {
    var start: Int
    var end: Int
    /// Whether the field holds doubled quotes (CSV) or backslash escapes (TSV) that decoding must resolve.
    var escaped: Bool
}

/// Tests on eight bytes at once (SWAR). Each gives a word whose lowest set bit lies in the first byte that
/// passes (bits above it may be set spuriously by borrows, so only the lowest one is meaningful); 0 when none does.
enum Word {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080
    static let quotes = UInt64(Byte.quote) &* ones
    static let lineFeeds = UInt64(Byte.lineFeed) &* ones
    static let carriageReturns = UInt64(Byte.carriageReturn) &* ones
    static let backslashes = UInt64(Byte.backslash) &* ones

    /// Marks the bytes that are zero.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- ones) & ~word & highs
    }

    /// Marks the bytes below `limit` (at most 128).
    @inline(__always)
    static func bytesBelow(_ word: UInt64, _ limit: UInt8) -> UInt64 {
        (word &- UInt64(limit) &* ones) & ~word & highs
    }
}

/// ASCII bytes the readers look for.
enum Byte {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let quote: UInt8 = 0x22
    static let comma: UInt8 = 0x2C
    static let backslash: UInt8 = 0x5C
}
