import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The character encoding of a CSV/TSV file: UTF-8, or GB18030 (which includes GBK and GB2312), the encoding Excel
/// on Chinese Windows uses when it saves "CSV (逗号分隔)".
enum TextEncoding: Equatable {
    /// UTF-8, with or without a byte order mark.
    case utf8
    /// GB18030 / GBK: to be converted to UTF-8 before it is read.
    case gb18030
    /// UTF-8 with bytes that are not UTF-8 in it, yet too much real UTF-8 to be GB18030: a damaged file.
    case damagedUTF8(firstInvalidOffset: Int)

    /// Tells the encoding from the bytes.
    ///
    /// A byte order mark means UTF-8. Otherwise the bytes are checked as UTF-8; valid text is UTF-8. Text with
    /// invalid sequences is GB18030 unless valid multi-byte UTF-8 sequences outnumber the invalid ones ten to one
    /// (GB18030 text forms a valid UTF-8 sequence only now and then, UTF-8 text with a few damaged bytes mostly).
    ///
    /// The bytes of a `mapped` file are handed back to the system as they are scanned (see
    /// ``FileContents/release(_:_:)``), so checking a file does not make all of it resident at once.
    /// - Complexity: O(n), in pieces on every core; runs of ASCII and of Chinese text are checked sixteen bytes at
    ///   a time.
    static func detect(_ bytes: UnsafeBufferPointer<UInt8>, mapped: Bool = false) -> TextEncoding {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { return .utf8 }
        let scan = UTF8Scan.inParallel(bytes, releasingScanned: mapped)
        guard let firstInvalid = scan.firstInvalidOffset else { return .utf8 }
        if scan.validMultibyteSequences > 10 * scan.invalidSequences {
            return .damagedUTF8(firstInvalidOffset: firstInvalid)
        }
        return .gb18030
    }
}

/// Counts of one pass over bytes read as UTF-8.
struct UTF8Scan {
    /// Well-formed sequences of two to four bytes.
    private(set) var validMultibyteSequences = 0
    /// Bytes that start no well-formed sequence.
    private(set) var invalidSequences = 0
    /// The offset of the first such byte.
    private(set) var firstInvalidOffset: Int?

    /// How many scanned bytes of a mapped file are handed back at a time.
    static let releaseStep = 16 << 20

    /// The smallest piece scanned on a core of its own.
    static let pieceBytes = 64 << 20

    /// Scans the bytes, handing those of a mapped file back to the system every ``releaseStep`` bytes when
    /// `releasingScanned`.
    init(_ bytes: UnsafeBufferPointer<UInt8>, releasingScanned: Bool = false) {
        self.init(bytes, range: 0..<bytes.count, releaseStep: releasingScanned ? Self.releaseStep : nil)
    }

    /// Scans the sequences that start in `range` (one may end a few bytes after it), handing the scanned bytes
    /// back every `releaseStep` bytes unless it is `nil`.
    private init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, releaseStep: Int?) {
        let count = range.upperBound
        var index = range.lowerBound
        var released = index
        var nextRelease = releaseStep.map { index + $0 } ?? Int.max
        // Bytes before this offset are read one sequence at a time: the block at hand held something other than
        // ASCII and Chinese-range three-byte sequences.
        var scalarUntil = index
        while index < count {
            if index >= nextRelease {
                FileContents.release(bytes, released..<index)
                released = index
                nextRelease = index + (releaseStep ?? 0)
            }
            if index >= scalarUntil, index + Self.blockBytes <= count {
                let accepted = Self.acceptedBlockPrefix(bytes, at: index, leads: &validMultibyteSequences)
                if accepted > 0 {
                    index += accepted
                    continue
                }
                scalarUntil = index + Self.blockBytes
            }
            if index + 8 <= count {
                let word = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
                if word & Self.topBits == 0 {
                    index += 8
                    continue
                }
            }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            // Most Chinese text: a lead byte of E4–E9 and two continuation bytes.
            if (0xE4...0xE9).contains(lead), index + 2 < bytes.count, bytes[index + 1] & 0xC0 == 0x80,
                bytes[index + 2] & 0xC0 == 0x80
            {
                validMultibyteSequences += 1
                index += 3
                continue
            }
            let length = Self.sequenceLength(bytes, at: index)
            if length > 0 {
                validMultibyteSequences += 1
                index += length
            } else {
                invalidSequences += 1
                if firstInvalidOffset == nil { firstInvalidOffset = index }
                index += 1
            }
        }
    }

    /// The bytes checked at once by ``acceptedBlockPrefix(_:at:leads:)``.
    private static let blockBytes = 16

    /// How many of the 16 bytes at `index` (a sequence boundary) are well-formed ASCII and three-byte sequences
    /// whose lead byte needs no range check of its second byte (E1–EC, EE–EF: all CJK ideographs and punctuation),
    /// counting those sequences into `leads`; 0 when the block holds anything else, which is then read a sequence
    /// at a time.
    ///
    /// A block is accepted when each continuation byte follows a lead byte by one or two bytes and no other byte
    /// does; a lead byte in the last two places is left to the next block, which sees its continuation bytes.
    @inline(__always)
    private static func acceptedBlockPrefix(
        _ bytes: UnsafeBufferPointer<UInt8>,
        at index: Int,
        leads: inout Int
    ) -> Int {
        let raw = UnsafeRawPointer(bytes.baseAddress! + index)
        let low = raw.loadUnaligned(as: UInt64.self)
        let high = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        if (low | high) & topBits == 0 { return blockBytes }
        // Each byte's flag in its top bit: continuation 10xxxxxx, lead 1110xxxx other than E0 and ED.
        let (leadLow, otherLow) = flags(low)
        let (leadHigh, otherHigh) = flags(high)
        guard otherLow | otherHigh == 0 else { return 0 }
        // Shifting a word left by eight bits moves each flag one place later; nothing is shifted in before `index`,
        // since the bytes before it end sequences.
        let expectedLow = leadLow << 8 | leadLow << 16
        let expectedHigh = leadHigh << 8 | leadLow >> 56 | leadHigh << 16 | leadLow >> 48
        guard continuationFlags(low) == expectedLow, continuationFlags(high) == expectedHigh else { return 0 }
        let accepted = leadHigh >> 63 != 0 ? 15 : (leadHigh >> 55) & 1 != 0 ? 14 : blockBytes
        leads += leadLow.nonzeroBitCount + leadHigh.nonzeroBitCount - (accepted < blockBytes ? 1 : 0)
        return accepted
    }

    /// The top bit of every byte of a word.
    private static let topBits: UInt64 = 0x8080_8080_8080_8080

    /// The top bit of each continuation byte (10xxxxxx) of a word.
    @inline(__always)
    private static func continuationFlags(_ word: UInt64) -> UInt64 {
        word & ~(word << 1) & topBits
    }

    /// The top bit of each three-byte lead byte of a word that needs no check of its second byte (1110xxxx other
    /// than E0 and ED), and of each byte that is neither such a lead, a continuation byte nor ASCII.
    @inline(__always)
    private static func flags(_ word: UInt64) -> (lead: UInt64, other: UInt64) {
        let threeByteLead = word & (word << 1) & (word << 2) & ~(word << 3) & topBits
        let checkedLead = zeroBytes(word ^ 0xE0E0_E0E0_E0E0_E0E0) | zeroBytes(word ^ 0xEDED_EDED_EDED_EDED)
        let lead = threeByteLead & ~checkedLead
        return (lead, word & topBits & ~continuationFlags(word) & ~lead)
    }

    /// The top bit of each zero byte of a word (exact: no borrow between bytes).
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        let lowSeven: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((word & lowSeven) &+ lowSeven) | word | lowSeven)
    }

    /// The same counts as one scan, from pieces scanned on every core: each piece starts at a byte that is not a
    /// continuation byte (at most three later than an even split), so every sequence lies in one piece.
    /// - Parameter pieceBytes: the smallest piece (``pieceBytes`` unless a test splits small buffers).
    static func inParallel(
        _ bytes: UnsafeBufferPointer<UInt8>,
        releasingScanned: Bool,
        pieceBytes: Int = UTF8Scan.pieceBytes
    ) -> UTF8Scan {
        // Pieces of at least four bytes, so that moving a start past continuation bytes never passes the next.
        let pieces = min(ProcessInfo.processInfo.activeProcessorCount * 2, bytes.count / max(pieceBytes, 4))
        guard pieces > 1 else { return UTF8Scan(bytes, releasingScanned: releasingScanned) }
        var starts = (0..<pieces).map { piece in
            var start = bytes.count / pieces * piece
            var skipped = 0
            while start > 0, start < bytes.count, skipped < 3, bytes[start] & 0xC0 == 0x80 {
                start += 1
                skipped += 1
            }
            return start
        }
        starts.append(bytes.count)
        let bounds = starts
        // The pieces together keep no more scanned bytes mapped than one scan does.
        let step = releasingScanned ? max(Self.releaseStep / pieces, 1 << 20) : nil
        let scans = UnsafeMutableBufferPointer<UTF8Scan>.allocate(capacity: pieces)
        defer { scans.deallocate() }
        let shared = UnsafeTransferValue((scans, bytes))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let (scans, bytes) = shared.value
            scans.baseAddress!.advanced(by: piece).initialize(
                to: UTF8Scan(bytes, range: bounds[piece]..<bounds[piece + 1], releaseStep: step)
            )
        }
        var total = UTF8Scan(UnsafeBufferPointer(start: nil, count: 0))
        for scan in scans {
            total.validMultibyteSequences += scan.validMultibyteSequences
            total.invalidSequences += scan.invalidSequences
            total.firstInvalidOffset = total.firstInvalidOffset ?? scan.firstInvalidOffset
        }
        return total
    }

    /// The length of the well-formed multi-byte sequence at `index` (RFC 3629: no overlong forms, no surrogates,
    /// nothing above U+10FFFF), or 0.
    private static func sequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: (length, low) = (3, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: (length, high) = (3, 0x9F)
        case 0xF0: (length, low) = (4, 0x90)
        case 0xF1...0xF3: length = 4
        case 0xF4: (length, high) = (4, 0x8F)
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        let second = bytes[index + 1]
        guard second >= low, second <= high else { return 0 }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return 0 }
        return length
    }
}

/// Converts GB18030 text to UTF-8 with the C library's `iconv`.
enum GB18030Converter {
    /// The UTF-8 text of GB18030 bytes.
    /// - Parameters:
    ///   - bytes: the file's bytes.
    ///   - path: the file, for errors.
    /// - Returns: the same text in UTF-8.
    /// - Throws: ``ImportError/Code/unknownEncoding`` when the bytes are not GB18030 either (naming the line of the
    ///   first bad byte), or when the system has no GB18030 converter.
    static func utf8(from bytes: UnsafeBufferPointer<UInt8>, path: String) throws(ImportError) -> [UInt8] {
        let converter = iconv_open("UTF-8", "GB18030")
        guard converter != iconv_t(bitPattern: -1) else {
            throw ImportError.unknownEncoding(
                path,
                line: nil,
                detail: "this system's C library cannot convert GB18030 (iconv_open failed)"
            )
        }
        defer { iconv_close(converter) }
        // Every GB18030 character of n bytes is at most n + 2 bytes of UTF-8 (2 → 3 at most, 4 → 4).
        var output = [UInt8](repeating: 0, count: bytes.count + bytes.count / 2 + 16)
        var consumed = 0
        let written = output.withUnsafeMutableBufferPointer { target -> Int in
            guard let inputBase = bytes.baseAddress, let outputBase = target.baseAddress else { return 0 }
            var inputPointer: UnsafeMutablePointer<CChar>? = UnsafeMutablePointer(
                mutating: UnsafeRawPointer(inputBase).assumingMemoryBound(to: CChar.self)
            )
            var inputLeft = bytes.count
            var outputPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outputBase)
                .assumingMemoryBound(to: CChar.self)
            var outputLeft = target.count
            _ = iconv(converter, &inputPointer, &inputLeft, &outputPointer, &outputLeft)
            consumed = bytes.count - inputLeft
            return target.count - outputLeft
        }
        guard consumed == bytes.count else {
            let line = bytes.prefix(consumed).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            let byte = String(bytes[consumed], radix: 16, uppercase: true)
            throw ImportError.unknownEncoding(
                path,
                line: line,
                detail: "byte 0x\(byte) at line \(line) is neither UTF-8 nor GB18030/GBK"
            )
        }
        output.removeSubrange(written..<output.count)
        return output
    }
}
