import LeanStatsTestSupport
import Testing

@testable import LeanStatsImport

/// The encoding check scans large files in pieces on every core; the pieces must count what one scan counts.
struct UTF8ScanTests {
    @Test(arguments: 1...40)
    func piecesScannedOnEveryCoreCountWhatOneScanCounts(seed: UInt64) {
        // Runs of ASCII, Chinese, four-byte emoji, two-byte Latin, GB18030 bytes and lone continuation bytes, so
        // that piece boundaries fall inside every kind of sequence.
        var random = SeededGenerator(seed: seed)
        let parts: [[UInt8]] = [
            Array("proposal,".utf8), Array("生产部".utf8), Array("🙂".utf8), Array("é".utf8),
            [0xC9, 0xFA, 0xB2, 0xFA], [0x80, 0x80, 0x80, 0x80], [0xE4, 0xB8], [0xF0, 0x9F, 0x99],
        ]
        for damaged in [false, true] {
            var bytes: [UInt8] = []
            while bytes.count < 20_000 + Int(seed) {
                let part = Int.random(in: 0..<(damaged ? parts.count : 4), using: &random)
                bytes += parts[part]
            }
            bytes.withUnsafeBufferPointer { buffer in
                let one = UTF8Scan(buffer)
                let pieces = UTF8Scan.inParallel(buffer, releasingScanned: false, pieceBytes: 1)
                #expect(pieces.validMultibyteSequences == one.validMultibyteSequences)
                #expect(pieces.invalidSequences == one.invalidSequences)
                #expect(pieces.firstInvalidOffset == one.firstInvalidOffset)
                #expect((one.firstInvalidOffset != nil) == damaged)
                #expect(one.validMultibyteSequences > 1000)
            }
        }
    }

    /// Blocks of ASCII and Chinese are checked sixteen bytes at once; every mix must count what the standard
    /// library's UTF-8 decoder finds: sequences that straddle a block, lead bytes whose second byte has a narrower
    /// range (E0, ED), two- and four-byte sequences, and damaged bytes in every place.
    @Test(arguments: 1...60)
    func blocksCheckedAtOnceCountWhatTheStandardDecoderFinds(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let valid: [[UInt8]] = [
            Array("proposal_title,".utf8), Array("生产部设备科".utf8), Array("，。".utf8), Array("\u{0800}".utf8),
            Array("\u{D7FF}".utf8), Array("\u{E000}".utf8), Array("é".utf8), Array("🙂".utf8), Array("a".utf8),
        ]
        let damaged: [[UInt8]] = [
            [0xE4, 0xB8], [0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xC0, 0x80], [0xF5], [0xE4],
            [0xF0, 0x9F, 0x99],
        ]
        for damage in [0, 1, 3] {
            var bytes: [UInt8] = []
            while bytes.count < 4_000 {
                bytes += valid[Int.random(in: 0..<valid.count, using: &random)]
            }
            for _ in 0..<damage {
                let part = damaged[Int.random(in: 0..<damaged.count, using: &random)]
                bytes.insert(contentsOf: part, at: Int.random(in: 0...bytes.count, using: &random))
            }
            var decoder = UTF8()
            var iterator = bytes.makeIterator()
            var (offset, multibyte, firstInvalid) = (0, 0, Int?.none)
            decoding: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar):
                    multibyte += UTF8.width(scalar) > 1 ? 1 : 0
                    offset += UTF8.width(scalar)
                case .error: firstInvalid = firstInvalid ?? offset
                case .emptyInput: break decoding
                }
            }
            bytes.withUnsafeBufferPointer { buffer in
                let scan = UTF8Scan(buffer)
                #expect(scan.validMultibyteSequences == multibyte)
                #expect(scan.firstInvalidOffset == firstInvalid)
                #expect((scan.invalidSequences > 0) == (damage > 0))
            }
        }
    }
}
