import Dispatch

/// One grouping's rows packed for queries over a range that starts at the first row (all history): each row's
/// group code, its agreement bit and, when built with pairs, whether it is its user's first row in the group.
///
/// Counting instances, agreements and first rows per group is then a histogram of one narrow value per row, one
/// load and one counter increment, instead of reading codes, flags and four-byte previous occurrences.
struct PackedGroupRows: Sendable {
    enum Values: Sendable {
        /// Two rows per element, the first in the low ``PackedGroupRows/valueBits`` bits: for values of at most
        /// ``PackedGroupRows/maximumPairedBits`` bits, so that one counter increment counts two rows.
        case pairs([UInt16])
        case u8([UInt8])
        case u16([UInt16])
    }

    let values: Values
    /// Bits of the group code; the agreement bit follows them, then (when built with first rows) the first-row bit.
    let codeBits: Int
    /// Bits of one row's packed value: the code, the agreement bit and the first-row bit if there is one.
    let valueBits: Int

    /// The number of distinct packed values: one counter each.
    var bins: Int { 1 << valueBits }

    /// The largest group count that packs into 16 bits.
    static let maximumGroups = 1 << 14
    /// The widest value packed in pairs: two 6-bit values index 4096 counters per copy, and a narrower value
    /// keeps the counters in the first-level cache (two 5-bit values: 1024 counters, 16 KiB in four copies).
    static let maximumPairedBits = 6

    /// Packs `codes` with the agreement flags and, when `pairs` are given, the first rows of (user, group).
    /// - Returns: `nil` when the grouping has more than ``maximumGroups`` groups.
    init?(codes: CodeArray, groupCount: Int, flags: [UInt8], pairs: PreviousOccurrences?) {
        guard groupCount <= Self.maximumGroups else { return nil }
        var bits = 1
        while 1 << bits < groupCount { bits += 1 }
        codeBits = bits
        valueBits = bits + (pairs == nil ? 1 : 2)
        let rowCount = flags.count
        func pack<Value: FixedWidthInteger & UnsignedInteger>(_: Value.Type) -> [Value] {
            [Value](unsafeUninitializedCapacity: rowCount) { packed, initialized in
                flags.withUnsafeBufferPointer { flags in
                    codes.withCodeBuffer { codes in
                        for row in 0..<rowCount {
                            packed[row] = Value(
                                truncatingIfNeeded: Int(codes[row]) | Int(flags[row] & RowFlag.agree) << bits
                            )
                        }
                    }
                    if let pairs {
                        pairs.user.withUnsafeBufferPointer { previous in
                            let first = Value(1) << (bits + 1)
                            for row in 0..<rowCount where previous[row] < 0 { packed[row] |= first }
                        }
                    }
                }
                initialized = rowCount
            }
        }
        if valueBits <= Self.maximumPairedBits {
            let single = pack(UInt8.self)
            let shift = valueBits
            values = .pairs(
                (0..<(rowCount + 1) / 2).map { pair in
                    let second = 2 * pair + 1 < rowCount ? UInt16(single[2 * pair + 1]) : 0
                    return UInt16(single[2 * pair]) | second << shift
                }
            )
        } else {
            values = valueBits <= 8 ? .u8(pack(UInt8.self)) : .u16(pack(UInt16.self))
        }
    }

    /// Bits of one row's value in a pair element, or zero when the values are not pairs.
    var pairShift: Int {
        if case .pairs = values { return valueBits }
        return 0
    }

    /// The number of counters a histogram of these rows needs: one per packed value, or per pair of them.
    var counters: Int {
        if case .pairs = values { return 1 << (2 * valueBits) }
        return bins
    }
}

/// One worker's counters: interleaved copies of one counter per packed value (or pair of values), so that
/// consecutive rows of the same group do not wait on each other's increments.
final class PackedHistogram {
    /// Counters per copy.
    let bins: Int
    /// Interleaved copies of every counter: four rows in a row go to four different copies.
    let copies = 4
    let counts: UnsafeMutableBufferPointer<UInt32>
    /// Rows of pair elements counted alone (a range that starts or ends between the rows of a pair), by value.
    let singles: UnsafeMutableBufferPointer<UInt32>
    /// Bits of one row's value in a pair element (zero when the values are not pairs).
    let pairShift: Int

    /// Zeroed counters for `bins` values, or for pairs of values of `pairShift` bits (`bins` is then their
    /// square).
    init(bins: Int, pairShift: Int = 0) {
        self.bins = bins
        self.pairShift = pairShift
        counts = .allocate(capacity: copies * bins)
        counts.initialize(repeating: 0)
        singles = .allocate(capacity: 1 << pairShift)
        singles.initialize(repeating: 0)
    }

    deinit {
        counts.deallocate()
        singles.deallocate()
    }

    /// Adds the packed values of `rows`. Counters cannot overflow: a table holds fewer than 2³¹ rows.
    func add<Value: FixedWidthInteger & UnsignedInteger>(_ values: UnsafeBufferPointer<Value>, _ rows: Range<Int>) {
        let counts = counts.baseAddress!
        let (second, third, fourth) = (bins, 2 &* bins, 3 &* bins)
        var row = rows.lowerBound
        while rows.upperBound - row >= 4 {
            counts[Int(values[row])] &+= 1
            counts[second &+ Int(values[row + 1])] &+= 1
            counts[third &+ Int(values[row + 2])] &+= 1
            counts[fourth &+ Int(values[row + 3])] &+= 1
            row += 4
        }
        while row < rows.upperBound {
            counts[Int(values[row])] &+= 1
            row += 1
        }
    }

    /// Adds `rows` from pair elements (row `r` is in element `r / 2`, the low bits for even `r`).
    func addPairs(_ pairs: UnsafeBufferPointer<UInt16>, _ rows: Range<Int>) {
        let counts = counts.baseAddress!
        let shift = pairShift
        var row = rows.lowerBound
        let end = rows.upperBound
        if row & 1 == 1, row < end {
            singles[Int(pairs[row >> 1]) >> shift] &+= 1
            row += 1
        }
        var pair = row >> 1
        let whole = max(row, end & ~1) >> 1
        let (second, third, fourth) = (bins, 2 &* bins, 3 &* bins)
        while whole - pair >= 4 {
            counts[Int(pairs[pair])] &+= 1
            counts[second &+ Int(pairs[pair + 1])] &+= 1
            counts[third &+ Int(pairs[pair + 2])] &+= 1
            counts[fourth &+ Int(pairs[pair + 3])] &+= 1
            pair += 4
        }
        while pair < whole {
            counts[Int(pairs[pair])] &+= 1
            pair += 1
        }
        if end & 1 == 1, end - 1 >= row {
            singles[Int(pairs[end >> 1]) & ((1 << shift) - 1)] &+= 1
        }
    }

    /// Adds another worker's counters.
    func combine(_ other: PackedHistogram) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
        for index in singles.indices { singles[index] &+= other.singles[index] }
    }

    /// The number of rows with each packed value (`values` of them).
    func rowsByValue(values: Int) -> [Int] {
        var result = [Int](repeating: 0, count: values)
        let shift = pairShift
        let pairs = shift > 0
        for index in 0..<bins {
            var count = 0
            for copy in 0..<copies { count += Int(counts[copy * bins + index]) }
            guard count > 0 else { continue }
            if pairs {
                result[index & ((1 << shift) - 1)] += count
                result[index >> shift] += count
            } else {
                result[index] += count
            }
        }
        if pairs {
            for value in 0..<min(values, singles.count) { result[value] += Int(singles[value]) }
        }
        return result
    }
}

extension StatisticsEngine {
    /// The packed rows of a grouping, built once per grouping and kind (with or without first rows).
    func packedGroupRows(_ name: String, codes: CodeArray, groupCount: Int, firstRows: Bool) -> PackedGroupRows? {
        let key = firstRows ? name + "|first" : name
        if let built = packedGroups.withLock({ $0[key] }) { return built }
        let pairs = firstRows ? pairOccurrences(name, groups: codes, departments: false) : nil
        guard
            let built = PackedGroupRows(codes: codes, groupCount: groupCount, flags: derivedRows().flags, pairs: pairs)
        else { return nil }
        return packedGroups.withLock { cached in
            if cached[key] == nil { cached[key] = built }
            return cached[key]!
        }
    }

    /// Instances, agreements and (with first rows) distinct users per group over `rows`, which start at row 0.
    /// - Complexity: O(rows / workers) reading one or two bytes per row, plus O(bins × workers).
    func packedGroupTotals(rows: Range<Int>, packed: PackedGroupRows, groupCount: Int) -> [RangeTotals] {
        precondition(rows.lowerBound == 0, "first-row bits hold for ranges from the first row")
        func count(_ add: (Range<Int>, PackedHistogram) -> Void) -> PackedHistogram {
            runMorsels(
                rows: rows,
                options: options,
                makeState: { PackedHistogram(bins: packed.counters, pairShift: packed.pairShift) },
                body: add,
                combine: { $0.combine($1) }
            )
        }
        let histogram: PackedHistogram
        switch packed.values {
        case .pairs(let pairs):
            histogram = pairs.withUnsafeBufferPointer { pairs in count { $1.addPairs(pairs, $0) } }
        case .u8(let values):
            histogram = values.withUnsafeBufferPointer { values in count { $1.add(values, $0) } }
        case .u16(let values):
            histogram = values.withUnsafeBufferPointer { values in count { $1.add(values, $0) } }
        }
        var totals = [RangeTotals](repeating: RangeTotals(), count: max(groupCount, 1))
        let codeMask = (1 << packed.codeBits) - 1
        for (value, count) in histogram.rowsByValue(values: packed.bins).enumerated() {
            let group = value & codeMask
            guard count > 0, group < totals.count else { continue }
            totals[group].count += count
            if value >> packed.codeBits & 1 == 1 { totals[group].agree += count }
            if value >> (packed.codeBits + 1) == 1 { totals[group].users += count }
        }
        return totals
    }
}
