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
}
