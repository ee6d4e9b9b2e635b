import Testing

@testable import LeanStatsCore

/// The dictionaries' byte hash keeps apart the numbered and id-like values that real columns hold, and builders keep
/// hashes only while they look values up.
struct StringHashTests {
    /// The number of values whose hash an earlier value already had.
    private func repeatedHashes(_ values: some Sequence<String>) -> Int {
        var seen = Set<UInt64>()
        var repeated = 0
        for value in values {
            var value = value
            if !seen.insert(value.withUTF8 { StringDictionaryBuilder.hash($0) }).inserted { repeated += 1 }
        }
        return repeated
    }

    @Test(arguments: [
        ("改善提案 ", ""),
        ("2020110100000", ""),
        ("u", ""),
        ("SYN0000000000", "1604160010"),
    ])
    func aMillionNumberedValuesHaveAMillionHashes(prefix: String, suffix: String) {
        // Seven digits: with the 13-byte prefix, the last word overlaps the one before it.
        #expect(repeatedHashes((1_000_000..<2_000_000).lazy.map { "\(prefix)\($0)\(suffix)" }) == 0)
    }

    @Test func aBuilderThatAppendsOnlyKeepsNoHashesAndOneThatLooksUpKeepsOnePerCode() {
        var ids = StringDictionaryBuilder(adaptive: true)
        var names = StringDictionaryBuilder(adaptive: true)
        for index in 0..<10_000 {
            _ = ids.intern("id-\(index)")
            _ = names.intern("名字 \(index % 300)")
        }
        #expect(ids.appendsOnly && ids.hashes.isEmpty)
        #expect(!names.appendsOnly && names.hashes.count == names.count)
    }
}
