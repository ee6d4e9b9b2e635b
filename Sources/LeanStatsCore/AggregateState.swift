/// Per-worker partial aggregates for a fixed number of groups: DuckDB's state → combine → finalize shape.
///
/// Buffers are allocated once per worker and query and indexed by group number; the kernel loop touches only
/// raw pointers, never an `Array`'s copy-on-write machinery.
final class GroupState {
    let groupCount: Int
    let count: UnsafeMutableBufferPointer<Int>
    let passed: UnsafeMutableBufferPointer<Int>
    let refused: UnsafeMutableBufferPointer<Int>
    let running: UnsafeMutableBufferPointer<Int>
    /// Sums of the benefit field in cents (integers, so the parallel split cannot change the result), allocated
    /// only when asked for: group `g` keeps the sum of the high parts at `2g` and of the low parts at `2g + 1`
    /// (see ``BenefitTotal``).
    let benefit: UnsafeMutableBufferPointer<Int>?
    let completed: UnsafeMutableBufferPointer<Int>
    let within30: UnsafeMutableBufferPointer<Int>
    let totalDays: UnsafeMutableBufferPointer<Int>
    let minDays: UnsafeMutableBufferPointer<Int32>
    let maxDays: UnsafeMutableBufferPointer<Int32>
    /// Whether processing days are aggregated (else those figures stay at their empty values).
    let processing: Bool
    /// Whether refusals and running instances are counted.
    let outcomes: Bool
    let users: DistinctCounter?
    let depts: DistinctCounter?

    /// - Parameters:
    ///   - groupCount: the number of group numbers (dictionary size for code groups).
    ///   - userValues: distinct user-id codes to track per group, `nil` to skip `participants`.
    ///   - deptValues: distinct dept-id codes to track per group, `nil` to skip `depts`.
    ///   - bitmapBits: the largest distinct-count bitmap per state.
    ///   - pairsAtMost: the most rows the state will see, when known (listed rows).
    ///   - benefit: whether to sum the benefit field.
    ///   - processing: whether to aggregate processing days.
    ///   - outcomes: whether to count refusals and running instances.
    init(
        groupCount: Int,
        userValues: Int?,
        deptValues: Int?,
        bitmapBits: Int,
        pairsAtMost: Int? = nil,
        benefit: Bool = false,
        processing: Bool = true,
        outcomes: Bool = true
    ) {
        self.groupCount = groupCount
        self.processing = processing
        self.outcomes = outcomes
        // A part the options leave out gets one slot (the single-group kernel stores its register totals there), so a
        // `by user count` over a million proposers zeroes two arrays, not nine.
        func zeroed<T: FixedWidthInteger>(_ value: T, needed: Bool = true) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: needed ? max(groupCount, 1) : 1)
            buffer.initialize(repeating: value)
            return buffer
        }
        count = zeroed(0)
        passed = zeroed(0)
        refused = zeroed(0, needed: outcomes)
        running = zeroed(0, needed: outcomes)
        if benefit {
            let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(groupCount, 1) * 2)
            sums.initialize(repeating: 0)
            self.benefit = sums
        } else {
            self.benefit = nil
        }
        completed = zeroed(0, needed: processing)
        within30 = zeroed(0, needed: processing)
        totalDays = zeroed(0, needed: processing)
        minDays = zeroed(Int32.max, needed: processing)
        maxDays = zeroed(Int32.min, needed: processing)
        users = userValues.map {
            DistinctCounter(groups: groupCount, values: $0, bitmapBits: bitmapBits, pairsAtMost: pairsAtMost)
        }
        depts = deptValues.map {
            DistinctCounter(groups: groupCount, values: $0, bitmapBits: bitmapBits, pairsAtMost: pairsAtMost)
        }
    }

    deinit {
        for buffer in [count, passed, refused, running, completed, within30, totalDays] { buffer.deallocate() }
        benefit?.deallocate()
        minDays.deallocate()
        maxDays.deallocate()
    }

    /// Adds another worker's partial state into this one.
    /// - Complexity: O(groups + distinct values).
    func combine(_ other: GroupState) {
        for group in 0..<groupCount {
            count[group] += other.count[group]
            passed[group] += other.passed[group]
        }
        for group in 0..<(outcomes ? groupCount : 0) {
            refused[group] += other.refused[group]
            running[group] += other.running[group]
        }
        for group in 0..<(processing ? groupCount : 0) {
            completed[group] += other.completed[group]
            within30[group] += other.within30[group]
            totalDays[group] += other.totalDays[group]
            minDays[group] = min(minDays[group], other.minDays[group])
            maxDays[group] = max(maxDays[group], other.maxDays[group])
        }
        if let benefit, let others = other.benefit {
            for index in 0..<(groupCount * 2) { benefit[index] &+= others[index] }
        }
        if let users, let others = other.users { users.combine(others) }
        if let depts, let others = other.depts { depts.combine(others) }
    }

    /// The finished statistics of every group with at least one instance, with its group number.
    func finalize(key: (Int) -> (key: String, userId: String?)) -> [(group: Int, statistics: GroupStatistics)] {
        finalize(groups: (0..<groupCount).filter { count[$0] > 0 }, key: key)
    }

    /// The finished statistics of the given groups, in that order.
    func finalize(
        groups: [Int],
        key: (Int) -> (key: String, userId: String?)
    ) -> [(
        group: Int, statistics: GroupStatistics
    )] {
        let userCounts = users?.counts()
        let deptCounts = depts?.counts()
        return groups.map { group in
            (group, statistics(of: group, key: key(group), userCounts: userCounts, deptCounts: deptCounts))
        }
    }

    /// The `limit` groups with the most instances, ties broken by `rank` (lower first), best first; groups without
    /// instances are left out.
    /// - Complexity: O(g log limit) for g groups when few enter the top, at most O(g · limit).
    func top(_ limit: Int, rank: [Int32]) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(limit + 1)
        func precedes(_ left: Int, _ right: Int) -> Bool {
            count[left] != count[right] ? count[left] > count[right] : rank[left] < rank[right]
        }
        guard limit > 0 else { return [] }
        for group in 0..<groupCount where count[group] > 0 {
            keepFirst(group, in: &best, limit: limit, precedes: precedes)
        }
        return best
    }

    /// The `limit` groups first in a ranking's order, best first: groups with a value before those without, ties in
    /// the default order (more instances first, then lower `rank`); groups without instances are left out. The
    /// ranking reads each group's statistics without a key, which only the groups kept are given later.
    /// - Complexity: O(g log limit) for g groups when few enter the top, at most O(g · limit).
    func top(_ limit: Int, by ranking: GroupRanking, rank: [Int32]) -> [Int] {
        guard limit > 0 else { return [] }
        let userCounts = users?.counts()
        let deptCounts = depts?.counts()
        var best: [(group: Int, value: Double?)] = []
        best.reserveCapacity(limit + 1)
        let descending = ranking.descending
        func precedes(_ left: (group: Int, value: Double?), _ right: (group: Int, value: Double?)) -> Bool {
            switch (left.value, right.value) {
            case (let a?, let b?) where a != b: return descending ? a > b : a < b
            case (nil, _?): return false
            case (_?, nil): return true
            default:
                return count[left.group] != count[right.group]
                    ? count[left.group] > count[right.group] : rank[left.group] < rank[right.group]
            }
        }
        // One unnamed statistics value, refilled per group: making a new one per group (a million proposers)
        // costs more than the ranking itself.
        var statistics = GroupStatistics(key: "")
        for group in 0..<groupCount where count[group] > 0 {
            fill(&statistics, group: group, userCounts: userCounts, deptCounts: deptCounts)
            keepFirst((group: group, value: ranking.value(statistics)), in: &best, limit: limit, precedes: precedes)
        }
        return best.map(\.group)
    }

    /// The finished statistics of one group, also when it is empty.
    func statistics(
        of group: Int,
        key: (key: String, userId: String?),
        userCounts: [Int]?,
        deptCounts: [Int]?
    ) -> GroupStatistics {
        var result = GroupStatistics(key: key.key, userId: key.userId)
        fill(&result, group: group, userCounts: userCounts, deptCounts: deptCounts)
        return result
    }

    /// Sets the figures of `result` (not its key or user id) to one group's.
    private func fill(_ result: inout GroupStatistics, group: Int, userCounts: [Int]?, deptCounts: [Int]?) {
        totals(of: group, userCounts: userCounts, deptCounts: deptCounts).fill(&result, options: .all)
        result.benefitSum = benefit.map { BenefitTotal(high: $0[group * 2], low: $0[group * 2 + 1]).yuan }
    }

    /// The totals of one group (without its benefit sums), as the kernels over derived columns give them.
    func totals(of group: Int, userCounts: [Int]? = nil, deptCounts: [Int]? = nil) -> RangeTotals {
        // Parts this state did not compute are at their empty values, so every part is taken.
        let outcome = outcomes ? group : 0
        let days = processing ? group : 0
        return RangeTotals(
            count: count[group],
            agree: passed[group],
            refuse: outcomes ? refused[outcome] : 0,
            running: outcomes ? running[outcome] : 0,
            completed: processing ? completed[days] : 0,
            within30: processing ? within30[days] : 0,
            totalDays: processing ? totalDays[days] : 0,
            minDays: processing ? minDays[days] : .max,
            maxDays: processing ? maxDays[days] : .min,
            users: userCounts?[group] ?? 0,
            depts: deptCounts?[group] ?? 0
        )
    }
}

/// Inserts `entry` where it belongs in `best`, the first at most `limit` entries in the order of `precedes`: an
/// entry that would come after a full list's last is left out, and the last one beyond the limit is dropped.
/// - Complexity: O(log limit) to find the place, O(limit) to insert.
@inline(__always)
func keepFirst<Entry>(_ entry: Entry, in best: inout [Entry], limit: Int, precedes: (Entry, Entry) -> Bool) {
    if best.count == limit, !precedes(entry, best[limit - 1]) { return }
    var low = 0
    var high = best.count
    while low < high {
        let middle = (low + high) / 2
        if precedes(best[middle], entry) { low = middle + 1 } else { high = middle }
    }
    best.insert(entry, at: low)
    if best.count > limit { best.removeLast() }
}

/// Exact distinct counting of (group, value) pairs, where values are dictionary codes.
///
/// Small problems use one bitmap per group. Large ones (many groups × many values) store, per value, the first
/// group it was seen in and keep the rare other pairs in a list that is sorted and deduplicated at the end — a
/// user seldom proposes from more than one department, so the list stays short. A few rows (a `user=` filter's)
/// keep every pair in that list, so the work follows the rows, not the number of values.
final class DistinctCounter {
    let groups: Int
    let values: Int
    let wordsPerGroup: Int
    let bitmap: UnsafeMutableBufferPointer<UInt64>?
    let firstGroup: UnsafeMutableBufferPointer<UInt32>?
    var extra: [UInt64] = []

    /// - Parameters:
    ///   - bitmapBits: the largest bitmap to use; beyond it, first-group mode.
    ///   - pairsAtMost: the most pairs that can be inserted, when known; fewer than the bitmap's words or the
    ///     values selects the list of pairs.
    init(groups: Int, values: Int, bitmapBits: Int, pairsAtMost: Int? = nil) {
        self.groups = groups
        self.values = values
        wordsPerGroup = (values + 63) / 64
        if let pairsAtMost, pairsAtMost < min(groups * wordsPerGroup, values) {
            extra.reserveCapacity(pairsAtMost)
            bitmap = nil
            firstGroup = nil
        } else if groups * wordsPerGroup * 64 <= bitmapBits {
            let words = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(groups * wordsPerGroup, 1))
            words.initialize(repeating: 0)
            bitmap = words
            firstGroup = nil
        } else {
            let first = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(values, 1))
            first.initialize(repeating: .max)
            firstGroup = first
            bitmap = nil
        }
    }

    deinit {
        bitmap?.deallocate()
        firstGroup?.deallocate()
    }

    /// Records that `value` occurs in `group`.
    @inline(__always)
    func insert(group: Int, value: UInt32) {
        if let bitmap {
            let word = group &* wordsPerGroup &+ Int(value >> 6)
            bitmap[word] |= 1 &<< UInt64(value & 63)
        } else if let firstGroup {
            let first = firstGroup[Int(value)]
            if first == UInt32(truncatingIfNeeded: group) { return }
            if first == .max {
                firstGroup[Int(value)] = UInt32(truncatingIfNeeded: group)
            } else {
                extra.append(UInt64(group) << 32 | UInt64(value))
            }
        } else {
            extra.append(UInt64(group) << 32 | UInt64(value))
        }
    }

    /// Adds the pairs another worker saw.
    func combine(_ other: DistinctCounter) {
        if let bitmap, let others = other.bitmap {
            for index in bitmap.indices { bitmap[index] |= others[index] }
        } else if let firstGroup, let others = other.firstGroup {
            for value in 0..<values where others[value] != .max {
                let theirs = others[value]
                if firstGroup[value] == .max {
                    firstGroup[value] = theirs
                } else if firstGroup[value] != theirs {
                    extra.append(UInt64(theirs) << 32 | UInt64(value))
                }
            }
        }
        // Bitmap mode keeps no pairs; the other two modes keep the pairs each worker listed.
        extra.append(contentsOf: other.extra)
    }

    /// The number of distinct values of each group.
    /// - Complexity: O(groups × values / 64) in bitmap mode, O(values + e log e) for e extra pairs otherwise.
    func counts() -> [Int] {
        var counts = [Int](repeating: 0, count: groups)
        if let bitmap {
            for group in 0..<groups {
                var total = 0
                let base = group * wordsPerGroup
                for word in base..<(base + wordsPerGroup) { total += bitmap[word].nonzeroBitCount }
                counts[group] = total
            }
        } else if let firstGroup {
            for value in 0..<values where firstGroup[value] != .max { counts[Int(firstGroup[value])] += 1 }
            extra.sort()
            var previous = UInt64.max
            for pair in extra where pair != previous {
                previous = pair
                let group = UInt32(truncatingIfNeeded: pair >> 32)
                let value = Int(pair & 0xFFFF_FFFF)
                if firstGroup[value] != group { counts[Int(group)] += 1 }
            }
        } else if groups == 1, extra.count >= wordsPerGroup / 16 {
            counts[0] = Self.distinctValues(of: extra, below: values)
        } else {
            extra.sort()
            var previous = UInt64.max
            for pair in extra where pair != previous {
                previous = pair
                counts[Int(pair >> 32)] += 1
            }
        }
        return counts
    }

    /// The number of distinct values in the low halves of `pairs`, all below `values`: one pass over a bitmap of
    /// the values instead of a sort, since a period's rows of a filter (a month of `trend … where`) hold thousands
    /// of pairs. Used when the pairs are at least a sixteenth of the bitmap's words, so that a few pairs (a `user=`
    /// filter's) are still sorted and their work follows the rows.
    /// - Complexity: O(pairs + values / 64).
    private static func distinctValues(of pairs: [UInt64], below values: Int) -> Int {
        let seen = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max((values + 63) / 64, 1))
        defer { seen.deallocate() }
        seen.initialize(repeating: 0)
        var total = 0
        for pair in pairs {
            let value = Int(truncatingIfNeeded: pair & 0xFFFF_FFFF)
            let bit: UInt64 = 1 &<< UInt64(value & 63)
            let word = seen[value &>> 6]
            total &+= word & bit == 0 ? 1 : 0
            seen[value &>> 6] = word | bit
        }
        return total
    }
}

/// A sum of benefit amounts kept as two integer sums: of each amount's high part (`cents >> 32`) and of its low
/// part (`cents & 0xFFFF_FFFF`).
///
/// With amounts bounded by ``ValueLimits/maximumBenefitCents`` (below 2^50), a high part is below 2^18 and a low
/// part below 2^32 in magnitude, so neither sum can overflow for up to 2^31 rows, whatever the order of the
/// additions; the kernel adds both with one plain addition each and no branch.
struct BenefitTotal {
    /// The sum of the high parts.
    var high: Int
    /// The sum of the low parts.
    var low: Int

    /// The total in yuan: exact to the cent while the total in cents fits in 64 bits, the nearest `Double` beyond.
    var yuan: Double {
        let (shifted, overflow) = high.multipliedReportingOverflow(by: 1 << 32)
        if !overflow {
            let (cents, sumOverflow) = shifted.addingReportingOverflow(low)
            if !sumOverflow { return Double(cents) / 100 }
        }
        return (Double(high) * 4_294_967_296 + Double(low)) / 100
    }
}
