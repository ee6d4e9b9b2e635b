/// One JSON value found in a file: its bytes and the line it starts on.
struct JSONChunk {
    var range: Range<Int>
    var line: Int
}

/// A place where a JSON text breaks its structure.
struct JSONSyntaxProblem: Error {
    var line: Int
    var detail: String
}

/// Finds the top-level values of a JSON file without parsing them, tracking lines, so each value can be parsed on
/// its own and reported with the line it starts on.
///
/// Only the structure is checked here (strings, nesting, separators); `JSONSerialization` checks each value.
enum JSONTextSplitter {
    /// The elements of a file that is one JSON array.
    /// - Parameters:
    ///   - bytes: The file.
    ///   - start: The offset of the opening `[`.
    ///   - startLine: The line of the opening `[`.
    /// - Returns: The elements in order.
    /// - Throws: ``JSONSyntaxProblem`` when the array is not well formed.
    static func arrayElements(
        _ bytes: UnsafeBufferPointer<UInt8>,
        openingAt start: Int,
        line startLine: Int
    ) throws(JSONSyntaxProblem) -> [JSONChunk] {
        var line = startLine
        var index = start + 1
        var chunks: [JSONChunk] = []
        index = skipWhitespace(bytes, from: index, line: &line)
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                guard index < bytes.count else {
                    throw JSONSyntaxProblem(line: line, detail: "the array is not closed with ']'")
                }
                let elementLine = line
                let elementStart = index
                index = try scanValue(bytes, from: index, line: &line)
                chunks.append(JSONChunk(range: elementStart..<index, line: elementLine))
                index = skipWhitespace(bytes, from: index, line: &line)
                guard index < bytes.count else {
                    throw JSONSyntaxProblem(line: line, detail: "the array is not closed with ']'")
                }
                if bytes[index] == UInt8(ascii: ",") {
                    index = skipWhitespace(bytes, from: index + 1, line: &line)
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    break
                }
                throw JSONSyntaxProblem(
                    line: line,
                    detail: "expected ',' or ']' after the element that starts on line \(elementLine)"
                )
            }
        }
        index = skipWhitespace(bytes, from: index, line: &line)
        if index < bytes.count {
            throw JSONSyntaxProblem(line: line, detail: "text follows the closing ']' of the array")
        }
        return chunks
    }

    /// The values of a file of concatenated JSON objects: JSON Lines, or pretty-printed objects one after another.
    ///
    /// After a broken value the scan resumes at the next line that starts with `{` or `[`, so one bad line costs
    /// one record.
    /// - Parameters:
    ///   - bytes: The file.
    ///   - start: Where the first value may start (after a byte order mark).
    /// - Returns: Each value or the problem that took its place, in order.
    static func concatenatedValues(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int
    ) -> [Result<JSONChunk, JSONSyntaxProblem>] {
        var results: [Result<JSONChunk, JSONSyntaxProblem>] = []
        var line = 1
        var index = start
        while true {
            index = skipWhitespace(bytes, from: index, line: &line)
            guard index < bytes.count else { break }
            let valueLine = line
            let valueStart = index
            let byte = bytes[index]
            do throws(JSONSyntaxProblem) {
                guard byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") else {
                    throw JSONSyntaxProblem(line: valueLine, detail: "expected '{' to start an object")
                }
                index = try scanValue(bytes, from: index, line: &line)
                results.append(.success(JSONChunk(range: valueStart..<index, line: valueLine)))
            } catch {
                results.append(.failure(JSONSyntaxProblem(line: valueLine, detail: error.detail)))
                line = valueLine
                index = nextLineStartingAValue(bytes, after: valueStart, line: &line)
            }
        }
        return results
    }

    /// The non-blank lines of a JSON Lines file.
    /// - Parameters:
    ///   - bytes: The file.
    ///   - start: Where the first line starts (after a byte order mark).
    /// - Returns: One chunk per line that holds more than white space.
    static func lines(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> [JSONChunk] {
        var chunks: [JSONChunk] = []
        var line = 1
        var lineStart = start
        var blank = true
        for index in start..<bytes.count {
            let byte = bytes[index]
            if byte == Byte.lineFeed {
                if !blank { chunks.append(JSONChunk(range: lineStart..<index, line: line)) }
                line += 1
                lineStart = index + 1
                blank = true
            } else if !isWhitespace(byte) {
                blank = false
            }
        }
        if !blank { chunks.append(JSONChunk(range: lineStart..<bytes.count, line: line)) }
        return chunks
    }

    /// The offset after the value at `start`; strings, objects and arrays are matched, scalars run to the next
    /// separator.
    private static func scanValue(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int,
        line: inout Int
    ) throws(JSONSyntaxProblem) -> Int {
        let startLine = line
        var depth = 0
        var index = start
        let first = bytes[start]
        if first != UInt8(ascii: "{"), first != UInt8(ascii: "["), first != Byte.quote {
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
                    || isWhitespace(byte)
                {
                    break
                }
                index += 1
            }
            return index
        }
        while index < bytes.count {
            switch bytes[index] {
            case Byte.quote:
                index += 1
                while true {
                    guard index < bytes.count else {
                        throw JSONSyntaxProblem(line: line, detail: "a string is not closed before the end of the file")
                    }
                    let byte = bytes[index]
                    if byte == Byte.backslash {
                        index += 2
                        continue
                    }
                    if byte == Byte.quote { break }
                    if byte == Byte.lineFeed {
                        throw JSONSyntaxProblem(line: line, detail: "a string runs past the end of the line")
                    }
                    index += 1
                }
                if depth == 0 { return index + 1 }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return index + 1 }
            case Byte.lineFeed:
                line += 1
            default:
                break
            }
            index += 1
        }
        throw JSONSyntaxProblem(
            line: startLine,
            detail: "the value that starts on line \(startLine) is not closed before the end of the file"
        )
    }

    /// The start of the next line after `offset` whose first byte opens an object or array, or the end.
    private static func nextLineStartingAValue(
        _ bytes: UnsafeBufferPointer<UInt8>,
        after offset: Int,
        line: inout Int
    ) -> Int {
        var index = offset
        while index < bytes.count {
            if bytes[index] == Byte.lineFeed {
                line += 1
                let next = index + 1
                if next < bytes.count, bytes[next] == UInt8(ascii: "{") || bytes[next] == UInt8(ascii: "[") {
                    return next
                }
            }
            index += 1
        }
        return bytes.count
    }

    static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, line: inout Int) -> Int {
        var index = start
        while index < bytes.count, isWhitespace(bytes[index]) {
            if bytes[index] == Byte.lineFeed { line += 1 }
            index += 1
        }
        return index
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == Byte.tab || byte == Byte.lineFeed || byte == Byte.carriageReturn
    }
}
