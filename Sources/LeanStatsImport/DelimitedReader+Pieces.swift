import Dispatch

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

    /// Offsets that cut `bytes[start...]` into about `pieces` runs of whole records, for reading in parallel.
    ///
    /// A cut is made after a line end that is not inside a field: for CSV, one with an even number of quotes
    /// before it (counted in parallel, slice by slice); for TSV, one not escaped by a backslash. In a malformed
    /// file a cut can fall inside a record; readers detect that by checking that each piece ends exactly at the
    /// next cut.
    /// - Parameters:
    ///   - bytes: The whole text.
    ///   - start: Where the first piece begins (a record boundary, e.g. after the header).
    ///   - pieces: The number of pieces wanted.
    /// - Returns: Ascending offsets, the first `start` and the last `bytes.count`.
    /// - Complexity: O(n) quote counting split over the active cores, plus a short scan per cut.
    public func recordBoundaries(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, pieces: Int) -> [Int] {
        let length = bytes.count - start
        let pieces = max(1, min(pieces, length / 4096))
        guard pieces > 1 else { return [start, bytes.count] }
        let targets = (0...pieces).map { start + length * $0 / pieces }
        // The quote parity at each target (CSV only).
        var parities = [Bool](repeating: false, count: pieces + 1)
        if dialect == .csv {
            var counts = [Int](repeating: 0, count: pieces)
            counts.withUnsafeMutableBufferPointer { counts in
                let shared = BoundaryTransfer(counts: counts, bytes: bytes, targets: targets)
                DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                    shared.counts[piece] = Self.quoteCount(
                        UnsafeBufferPointer(rebasing: shared.bytes[shared.targets[piece]..<shared.targets[piece + 1]])
                    )
                }
            }
            var odd = false
            for piece in 0..<pieces {
                parities[piece] = odd
                odd = odd != (counts[piece] & 1 == 1)
            }
        }
        var cuts = [start]
        for piece in 1..<pieces {
            let cut = nextBoundary(
                in: bytes,
                from: max(targets[piece], cuts[cuts.count - 1]),
                insideQuotes: parities[piece]
            )
            if cut > cuts[cuts.count - 1] && cut < bytes.count { cuts.append(cut) }
        }
        cuts.append(bytes.count)
        return cuts
    }

    /// The number of double quotes in `bytes`, counted eight bytes at a time.
    static func quoteCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let raw = UnsafeRawBufferPointer(bytes)
        let quotes = UInt64(Byte.quote) &* 0x0101_0101_0101_0101
        let low = UInt64(0x7F7F_7F7F_7F7F_7F7F)
        var count = 0
        var index = 0
        while index + 8 <= raw.count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ quotes
            // The high bit of each byte that is zero (a quote), without carries between bytes.
            count &+= (~(((word & low) &+ low) | word | low)).nonzeroBitCount
            index += 8
        }
        while index < raw.count {
            count &+= raw[index] == Byte.quote ? 1 : 0
            index += 1
        }
        return count
    }

    /// The offset after the first line end at or after `index` that ends a record.
    private func nextBoundary(in bytes: UnsafeBufferPointer<UInt8>, from index: Int, insideQuotes: Bool) -> Int {
        var index = index
        var inside = insideQuotes
        while index < bytes.count {
            let byte = bytes[index]
            if dialect == .csv && byte == Byte.quote {
                inside.toggle()
            } else if byte == Byte.lineFeed || byte == Byte.carriageReturn {
                if dialect == .csv ? !inside : !escapedByBackslash(bytes, index) {
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

/// The buffers the quote-counting workers share: each writes only its own count.
private struct BoundaryTransfer: @unchecked Sendable {
    let counts: UnsafeMutableBufferPointer<Int>
    let bytes: UnsafeBufferPointer<UInt8>
    let targets: [Int]
}
