extension DelimitedReader {
    /// The offset of the first byte of the first record: after a byte order mark and any blank lines.
    /// - Parameter bytes: The whole text.
    /// - Returns: The offset, `bytes.count` when the text holds no record.
    public func firstRecordStart(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var index = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        while index < bytes.count, bytes[index] == Byte.lineFeed || bytes[index] == Byte.carriageReturn {
            index += 1
        }
        return index
    }

    /// Offsets that cut `bytes[start...]` into about `pieces` runs of records, for reading in parallel.
    ///
    /// A cut is made after the first line end at or after an even share of the text. For TSV that line end is
    /// one not escaped by a backslash, so every cut starts a record. For CSV the cut is a guess: a line end
    /// inside a quoted field cannot be told from one that ends a record without reading from the start. Readers
    /// therefore check that each piece ends exactly where the next begins, and read a piece again from where the
    /// one before it really ended when it does not.
    /// - Parameters:
    ///   - bytes: The whole text.
    ///   - start: Where the first piece begins (a record boundary, e.g. after the header).
    ///   - pieces: The number of pieces wanted.
    /// - Returns: Ascending offsets, the first `start` and the last `bytes.count`.
    /// - Complexity: A short scan per cut.
    public func recordBoundaries(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, pieces: Int) -> [Int] {
        let length = bytes.count - start
        let pieces = max(1, min(pieces, length / 4096))
        guard pieces > 1 else { return [start, bytes.count] }
        var cuts = [start]
        for piece in 1..<pieces {
            let cut = nextBoundary(in: bytes, from: max(start + length * piece / pieces, cuts[cuts.count - 1]))
            if cut > cuts[cuts.count - 1] && cut < bytes.count { cuts.append(cut) }
        }
        cuts.append(bytes.count)
        return cuts
    }

    /// The offset after the first line end at or after `index` (for TSV, one not escaped by a backslash).
    private func nextBoundary(in bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        var index = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Byte.lineFeed || byte == Byte.carriageReturn {
                if dialect == .csv || !escapedByBackslash(bytes, index) {
                    if byte == Byte.carriageReturn, index + 1 < bytes.count, bytes[index + 1] == Byte.lineFeed {
                        return index + 2
                    }
                    return index + 1
                }
            }
            index += 1
        }
        return bytes.count
    }

    /// Whether an odd run of backslashes precedes `index` (TSV's escaped line break).
    private func escapedByBackslash(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        var run = 0
        var position = index - 1
        while position >= 0, bytes[position] == Byte.backslash {
            run += 1
            position -= 1
        }
        if run % 2 == 1 { return true }
        // The line feed of an escaped CRLF (`\` CR LF) is part of the same escape.
        if bytes[index] == Byte.lineFeed, index > 0, bytes[index - 1] == Byte.carriageReturn {
            return escapedByBackslash(bytes, index - 1)
        }
        return false
    }
}
