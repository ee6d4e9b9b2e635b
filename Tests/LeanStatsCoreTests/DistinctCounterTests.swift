import LeanStatsTestSupport
import Testing

@testable import LeanStatsCore

/// The three ways of counting distinct (group, value) pairs give what a set of the pairs gives.
struct DistinctCounterTests {
    /// Pairs with repeats, word edges (0, 63, 64) and the largest value.
    static func pairs(groups: Int, values: Int, count: Int, seed: UInt64) -> [(group: Int, value: UInt32)] {
        var random = SeededGenerator(seed: seed)
        var pairs: [(group: Int, value: UInt32)] = [(0, 0), (0, 63), (0, 64), (0, UInt32(values - 1)), (0, 64)]
        for _ in 0..<count {
            let value =
                Int.random(in: 0..<4, using: &random) == 0
                ? Int.random(in: 0..<8, using: &random) : Int.random(in: 0..<values, using: &random)
            pairs.append((Int.random(in: 0..<groups, using: &random), UInt32(value)))
        }
        return pairs
    }

    @Test(arguments: [
        (groups: 1, bitmapBits: 1 << 30, listed: false, count: 5000),  // one bitmap
        (groups: 1, bitmapBits: 0, listed: false, count: 5000),  // first group per value
        (groups: 1, bitmapBits: 0, listed: true, count: 5000),  // a list of pairs, one group: a bitmap of values
        (groups: 1, bitmapBits: 0, listed: true, count: 100),  // a few pairs of one group: sorted
        (groups: 7, bitmapBits: 1 << 30, listed: false, count: 5000),
        (groups: 7, bitmapBits: 0, listed: false, count: 5000),
        (groups: 7, bitmapBits: 0, listed: true, count: 5000),  // a list of pairs, sorted
    ])
    func everyModeCountsWhatASetOfThePairsCounts(groups: Int, bitmapBits: Int, listed: Bool, count: Int) {
        let values = 1_000_000
        let pairs = Self.pairs(groups: groups, values: values, count: count, seed: UInt64(groups))
        let counter = DistinctCounter(
            groups: groups,
            values: values,
            bitmapBits: bitmapBits,
            pairsAtMost: listed ? pairs.count : nil
        )
        let mode = counter.bitmap != nil ? "bitmap" : counter.firstGroup != nil ? "first group" : "list"
        #expect(mode == (listed ? "list" : bitmapBits > 0 ? "bitmap" : "first group"))
        for pair in pairs { counter.insert(group: pair.group, value: pair.value) }
        var expected = [Int](repeating: 0, count: groups)
        for pair in Set(pairs.map { "\($0.group):\($0.value)" }) {
            expected[Int(pair.split(separator: ":")[0])!] += 1
        }
        #expect(counter.counts() == expected)
        #expect(expected.reduce(0, +) < pairs.count)
    }
}
