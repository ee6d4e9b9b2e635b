import LeanStatsTestSupport
import Testing

@testable import LeanStatsCore

/// The histograms of packed rows count every row of a range once, whatever its bounds.
struct PackedHistogramTests {
    @Test(arguments: [5, 6])
    func pairElementsCountEveryRowOfARangeThatStartsOrEndsBetweenTheRowsOfAPair(shift: Int) {
        var random = SeededGenerator(seed: 9)
        let values = (0..<1001).map { _ in UInt8(random.next() % (1 << UInt64(shift))) }
        let pairs = stride(from: 0, to: values.count, by: 2).map { row in
            UInt16(values[row]) | (row + 1 < values.count ? UInt16(values[row + 1]) : 0) << shift
        }
        for rows in [0..<1001, 0..<1000, 1..<1001, 3..<4, 4..<5, 5..<7, 7..<7, 10..<11, 999..<1001, 250..<763] {
            let histogram = PackedHistogram(bins: 1 << (2 * shift), pairShift: shift)
            pairs.withUnsafeBufferPointer { histogram.addPairs($0, rows) }
            var expected = [Int](repeating: 0, count: 1 << shift)
            for row in rows { expected[Int(values[row])] += 1 }
            #expect(histogram.rowsByValue(values: 1 << shift) == expected, "\(rows)")
        }
    }

    @Test func packedRowsMarkAgreementsAndFirstRowsOfEachUserInTheGroup() {
        let codes = CodeArray.u8([1, 2, 1, 0, 2, 1])
        let flags: [UInt8] = [RowFlag.agree, 0, 0, RowFlag.agree, RowFlag.agree | RowFlag.completed, 0]
        let pairs = PreviousOccurrences(user: [-1, -1, 0, .max, 1, -1], dept: [Int32](repeating: .max, count: 6))
        let packed = PackedGroupRows(codes: codes, groupCount: 3, flags: flags, pairs: pairs)!
        #expect(packed.codeBits == 2)
        guard case .pairs(let elements) = packed.values else {
            Issue.record("three groups pack two rows per element")
            return
        }
        // Row values: group | agree << 2 | first << 3, four bits each.
        let rows: [UInt16] = [1 | 4 | 8, 2 | 8, 1, 0 | 4, 2 | 4, 1 | 8]
        #expect(elements == [rows[0] | rows[1] << 4, rows[2] | rows[3] << 4, rows[4] | rows[5] << 4])
    }

    @Test func packedRowsWithoutFirstRowsPairValuesOnlyAsWideAsCodeAndAgreement() {
        let codes = CodeArray.u8([1, 2, 1, 0, 2])
        let flags: [UInt8] = [RowFlag.agree, 0, 0, RowFlag.agree, RowFlag.agree | RowFlag.completed]
        let packed = PackedGroupRows(codes: codes, groupCount: 3, flags: flags, pairs: nil)!
        #expect(packed.valueBits == 3)
        #expect(packed.counters == 64)
        guard case .pairs(let elements) = packed.values else {
            Issue.record("three groups pack two rows per element")
            return
        }
        // Row values: group | agree << 2, three bits each; the odd last row pairs with zero.
        let rows: [UInt16] = [1 | 4, 2, 1, 0 | 4, 2 | 4]
        #expect(elements == [rows[0] | rows[1] << 3, rows[2] | rows[3] << 3, rows[4]])
    }
}
