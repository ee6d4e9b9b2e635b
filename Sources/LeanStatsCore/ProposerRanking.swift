import Dispatch
import Foundation

/// The rows of the proposer ranking partitioned by (user, department name) pair.
///
/// Every pair gets a number — a user's pair with its first department the user's own code, each other pair a
/// number after the last user — and the pairs are split into blocks of ``pairsPerPartition`` (whose counters fit
/// in a core's cache). Each block lists its rankable rows in row order with one packed word per row, so a
/// period's ranking streams each block's slice of the period instead of updating counters scattered over every
/// user.
struct ProposerPartitions: Sendable {
    /// Pairs per partition: 32 768 packed 8-byte counters are 256 KiB, and a pair within its partition and the
    /// agreement bit fit one 16-bit word.
    static let partitionShift = 15
    static let pairsPerPartition = 1 << partitionShift

    /// log2 of the rows per block of ``blockStarts``.
    static let blockShift = 16

    /// `starts[p] ..< starts[p + 1]` are partition `p`'s entries.
    let starts: [Int]
    /// For partition `p` and each block of 65 536 rows `b` (one more block than the rows fill), the first entry of
    /// `p` at or after the block's first row: `blockStarts[p × blocksPerPartition + b]`.
    let blockStarts: [Int]
    /// Blocks per partition in ``blockStarts``: one past the last block, so the end row has a block too.
    let blocksPerPartition: Int
    /// The low 16 bits of each entry's row, ascending within a partition's block.
    let lowRows: [UInt16]
    /// `pair within the partition << 1 | agreed`.
    let words: [UInt16]
    /// The number of user codes: pair `p` below it is user `p` with its first department.
    let userCount: Int
    /// The users of the pairs from ``userCount`` on, each a user under another department.
    let otherPairUsers: [UInt32]
    /// The department-name code of each pair.
    let pairDept: CodeArray

    /// The user code of a pair.
    @inline(__always)
    func pairUser(_ pair: Int) -> UInt32 {
        pair < userCount ? UInt32(truncatingIfNeeded: pair) : otherPairUsers[pair - userCount]
    }

    /// Numbers the pairs and partitions the rows that ``ProposerIndex`` ranks.
    /// - Complexity: O(n); only rows under a department other than their user's first are hashed.
    init(table: InstanceTable, index: ProposerIndex, flags: [UInt8]) {
        let users = max(table.userId.dictionary.count, 1)
        var otherPairUsers: [UInt32] = []
        var pairDept = index.firstDept.widened()
        var otherPairs: [UInt64: UInt32] = [:]
        var rowPair = [UInt32](repeating: 0, count: table.rowCount)
        let place = index.places(of: table)
        table.userId.codes.withCodeBuffer { userCodes in
            table.deptName.codes.withCodeBuffer { deptCodes in
                for row in 0..<table.rowCount {
                    switch place[row] {
                    case ProposerIndex.primary:
                        rowPair[row] = userCodes[row]
                    case ProposerIndex.other:
                        let key = UInt64(userCodes[row]) << 32 | UInt64(deptCodes[row])
                        if let pair = otherPairs[key] {
                            rowPair[row] = pair
                        } else {
                            let pair = UInt32(users + otherPairUsers.count)
                            otherPairs[key] = pair
                            otherPairUsers.append(userCodes[row])
                            pairDept.append(deptCodes[row])
                            rowPair[row] = pair
                        }
                    default:
                        continue
                    }
                }
            }
        }
        let shift = Self.partitionShift
        let partitions = max(1, (users + otherPairUsers.count + Self.pairsPerPartition - 1) >> shift)
        var starts = [Int](repeating: 0, count: partitions + 1)
        for row in 0..<table.rowCount where place[row] != 0 { starts[Int(rowPair[row]) >> shift + 1] += 1 }
        for partition in 0..<partitions { starts[partition + 1] += starts[partition] }
        let blocks = table.rowCount >> Self.blockShift + 2
        var blockStarts = [Int](repeating: 0, count: partitions * blocks)
        for row in 0..<table.rowCount where place[row] != 0 {
            blockStarts[Int(rowPair[row]) >> shift * blocks + row >> Self.blockShift + 1] += 1
        }
        for partition in 0..<partitions {
            let first = partition * blocks
            blockStarts[first] = starts[partition]
            for block in 1..<blocks { blockStarts[first + block] += blockStarts[first + block - 1] }
        }
        var next = starts
        var lowRows = [UInt16](repeating: 0, count: starts[partitions])
        var words = [UInt16](repeating: 0, count: starts[partitions])
        let mask = UInt32(Self.pairsPerPartition - 1)
        for row in 0..<table.rowCount where place[row] != 0 {
            let pair = rowPair[row]
            let slot = next[Int(pair) >> shift]
            next[Int(pair) >> shift] = slot + 1
            lowRows[slot] = UInt16(truncatingIfNeeded: row)
            words[slot] = UInt16(truncatingIfNeeded: (pair & mask) << 1 | UInt32(flags[row] & RowFlag.agree))
        }
        self.starts = starts
        self.blockStarts = blockStarts
        self.blocksPerPartition = blocks
        self.lowRows = lowRows
        self.words = words
        userCount = users
        self.otherPairUsers = otherPairUsers
        self.pairDept = CodeArray(pairDept, maxCode: table.deptName.dictionary.maxCode)
    }

    /// The first entry of a partition at or after a row (at most the table's row count): a binary search of the
    /// row's block by the low 16 bits of the rows.
    /// - Complexity: O(log(entries in the block)).
    func firstEntry(in partition: Int, atOrAfter row: Int) -> Int {
        let block = partition * blocksPerPartition + row >> Self.blockShift
        var low = blockStarts[block]
        var high = blockStarts[block + 1]
        let target = UInt16(truncatingIfNeeded: row)
        while low < high {
            let mid = (low + high) >> 1
            if lowRows[mid] < target { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The entries of a partition whose rows lie in a range.
    /// - Complexity: O(log n).
    func entries(in partition: Int, rows: Range<Int>) -> Range<Int> {
        firstEntry(in: partition, atOrAfter: rows.lowerBound)..<firstEntry(in: partition, atOrAfter: rows.upperBound)
    }

    /// Adds each entry of a partition whose row passes a filter to its pair's 64-bit counter, as
    /// ``count(_:into:)`` does.
    /// - Parameters:
    ///   - entries: the partition's entries of `rows` (``entries(in:rows:)``).
    ///   - passing: one bit per row of `rows`, set for a row that passes (``RowBitmap``).
    /// - Complexity: O(entries + blocks), a branch-free bit test per entry.
    func count(
        _ entries: Range<Int>,
        of partition: Int,
        rows: Range<Int>,
        passing: RowBitmap,
        into counts: UnsafeMutablePointer<UInt64>
    ) {
        words.withUnsafeBufferPointer { words in
            lowRows.withUnsafeBufferPointer { lowRows in
                passing.words.withUnsafeBufferPointer { bits in
                    // Entries are in row order block by block: a block's entries add its first row to their low bits.
                    var entry = entries.lowerBound
                    var block = rows.lowerBound >> Self.blockShift
                    while entry < entries.upperBound {
                        let end = min(blockStarts[partition * blocksPerPartition + block + 1], entries.upperBound)
                        let first = block << Self.blockShift - passing.low
                        while entry < end {
                            let offset = first &+ Int(lowRows[entry])
                            let bit = RowBitmap.bit(bits, offset: offset)
                            let word = words[entry]
                            counts[Int(word >> 1)] &+= bit &* (1 | UInt64(word & 1) << 32)
                            entry &+= 1
                        }
                        block &+= 1
                    }
                }
            }
        }
    }

    /// Adds each entry to its pair's 64-bit counter within the partition: the count in the low 32 bits, the
    /// agreements in the high 32.
    func count(_ entries: Range<Int>, into counts: UnsafeMutablePointer<UInt64>) {
        words.withUnsafeBufferPointer { words in
            for entry in entries {
                let word = words[entry]
                counts[Int(word >> 1)] &+= 1 | UInt64(word & 1) << 32
            }
        }
    }
}

extension StatisticsEngine {
    /// The partitioned proposer rows, built on the first unfiltered `top N`.
    func proposerPartitions() -> ProposerPartitions {
        if let built = partitions.withLock({ $0 }) { return built }
        let built = ProposerPartitions(table: table, index: proposerIndex(), flags: derivedRows().flags)
        return partitions.withLock { cached in
            if cached == nil { cached = built }
            return cached!
        }
    }

    /// Calls `body` once per proposer partition that has entries in `rows` (one task each, in parallel unless the
    /// engine has one worker), with the partitions, the partition, its entries in `rows`, the number of its first
    /// pair and a zeroed table of ``ProposerPartitions/pairsPerPartition`` counters that `body` must leave zeroed.
    func forEachProposerPartition(
        rows: Range<Int>,
        _ body:
            @escaping @Sendable (
                _ partitioned: ProposerPartitions, _ partition: Int, _ slice: Range<Int>, _ base: Int,
                _ counts: UnsafeMutablePointer<UInt64>
            ) -> Void
    ) {
        let partitioned = proposerPartitions()
        let partitionCount = partitioned.starts.count - 1
        let pool = counterPool
        let work: @Sendable (Int) -> Void = { partition in
            let slice = partitioned.entries(in: partition, rows: rows)
            guard !slice.isEmpty else { return }
            let counts = pool.take()
            defer { pool.give(counts) }
            body(partitioned, partition, slice, partition << ProposerPartitions.partitionShift, counts)
        }
        if options.workers == 1 || partitionCount == 1 {
            for partition in 0..<partitionCount { work(partition) }
        } else {
            DispatchQueue.concurrentPerform(iterations: partitionCount, execute: work)
        }
    }

    /// `top N` over the proposer partitions: each pair partition (one task each) counts its slice of the period in
    /// a cache-sized table of packed counters (count in the low 32 bits, agreements in the high 32) and keeps the
    /// entries that can rank — those reaching its own limit-th largest count, which the overall limit-th largest
    /// never exceeds. With a filter, the period's rows are first tested once into a bitmap (one bit a row, which
    /// stays in cache), and an entry counts only when its row's bit is set.
    /// - Complexity: O(rows + partitions × log n), streaming two bytes per rankable row, plus one filter test per row
    ///   of the period with a filter.
    func rankProposersByPartitions(rows: Range<Int>, filter: ResolvedFilter, limit: Int) -> [ProposerEntry] {
        let results = Locked([[ProposerEntry]](repeating: [], count: proposerPartitions().starts.count - 1))
        let passing = filter.isEmpty ? nil : rowBitmap(rows, filter: filter)
        forEachProposerPartition(rows: rows) { partitioned, partition, slice, base, counts in
            // A short slice notes each pair when its counter leaves zero and later reads (and clears) only those,
            // in 32-bit counters (count and agreements in 16 bits each: a short slice has fewer than 2¹⁴ rows) that
            // take half the cache; a long one reads every 64-bit counter.
            let short = slice.count < ProposerPartitions.pairsPerPartition / 4
            var entries: [ProposerEntry] = []
            func entry(_ local: Int, count: Int, passed: Int) -> ProposerEntry {
                let pair = base + local
                return ProposerEntry(
                    user: partitioned.pairUser(pair),
                    dept: partitioned.pairDept[pair],
                    count: count,
                    passed: passed
                )
            }
            if passing == nil && short {
                counts.withMemoryRebound(to: UInt32.self, capacity: ProposerPartitions.pairsPerPartition) { narrow in
                    var touched: [Int32] = []
                    touched.reserveCapacity(slice.count)
                    partitioned.words.withUnsafeBufferPointer { words in
                        for entry in slice {
                            let word = words[entry]
                            let local = Int(word >> 1)
                            if narrow[local] == 0 { touched.append(Int32(truncatingIfNeeded: local)) }
                            narrow[local] &+= 1 | UInt32(word & 1) << 16
                        }
                    }
                    // The slice's limit-th largest count; only pairs reaching it can rank.
                    let threshold = rankThreshold(touched.lazy.map { Int(narrow[Int($0)] & 0xFFFF) }, limit: limit)
                    for local in touched {
                        let packed = narrow[Int(local)]
                        if Int(packed & 0xFFFF) >= threshold {
                            entries.append(entry(Int(local), count: Int(packed & 0xFFFF), passed: Int(packed >> 16)))
                        }
                        narrow[Int(local)] = 0
                    }
                }
            } else {
                if let passing {
                    partitioned.count(slice, of: partition, rows: rows, passing: passing, into: counts)
                } else {
                    partitioned.count(slice, into: counts)
                }
                // The partition's limit-th largest count (unused counters are zero and never rank).
                let threshold = rankThreshold(
                    (0..<ProposerPartitions.pairsPerPartition).lazy.map { Int(counts[$0] & 0xFFFF_FFFF) },
                    limit: limit
                )
                for local in 0..<ProposerPartitions.pairsPerPartition where counts[local] != 0 {
                    let packed = counts[local]
                    if Int(packed & 0xFFFF_FFFF) >= threshold {
                        entries.append(entry(local, count: Int(packed & 0xFFFF_FFFF), passed: Int(packed >> 32)))
                    }
                }
                counts.update(repeating: 0, count: ProposerPartitions.pairsPerPartition)
            }
            results.withLock { $0[partition] = entries }
        }
        return results.withLock { $0.flatMap { $0 } }
    }
}

extension StatisticsEngine {
    /// `by user` counts and agreements of a row range without a filter: each proposer partition (one task each)
    /// counts its slice of the period in its cache-sized counters and adds them to the users' totals — a user's pair
    /// with its first department is numbered with the user's own code, so partitions write disjoint users and only
    /// the rare other pairs are added afterwards — plus the rows the partitions leave out that `by user` counts:
    /// those with a user id but no user name.
    /// - Complexity: O(rows) streamed through cache-sized counters, plus O(users) to zero and read the state.
    func userTotals(rows: Range<Int>, groupCount: Int) -> GroupState {
        let state = GroupState(
            groupCount: groupCount,
            userValues: nil,
            deptValues: nil,
            bitmapBits: 0,
            processing: false,
            outcomes: false
        )
        let otherPairs = Locked<[ProposerEntry]>([])
        let totals = UnsafeTransfer(value: (count: state.count, passed: state.passed))
        forEachProposerPartition(rows: rows) { partitioned, _, slice, base, counts in
            partitioned.count(slice, into: counts)
            var others: [ProposerEntry] = []
            for local in 0..<ProposerPartitions.pairsPerPartition where counts[local] != 0 {
                let pair = base + local
                let count = Int(counts[local] & 0xFFFF_FFFF)
                let passed = Int(counts[local] >> 32)
                if pair < groupCount {
                    totals.value.count[pair] &+= count
                    totals.value.passed[pair] &+= passed
                } else {
                    others.append(
                        ProposerEntry(user: partitioned.pairUser(pair), dept: 0, count: count, passed: passed)
                    )
                }
            }
            counts.update(repeating: 0, count: ProposerPartitions.pairsPerPartition)
            if !others.isEmpty { otherPairs.withLock { $0 += others } }
        }
        for entry in otherPairs.withLock({ $0 }) {
            state.count[Int(entry.user)] &+= entry.count
            state.passed[Int(entry.user)] &+= entry.passed
        }
        let unnamed = unnamedUserRows()
        let low = unnamed.partitionPoint { Int($0) >= rows.lowerBound }
        let high = unnamed[low...].partitionPoint { Int($0) >= rows.upperBound }
        let agree = InstanceResult.agree.rawValue
        table.userId.codes.withCodeBuffer { users in
            table.result.withUnsafeBufferPointer { result in
                for row in unnamed[low..<high].lazy.map({ Int($0) }) {
                    let user = Int(users[row])
                    state.count[user] &+= 1
                    state.passed[user] &+= result[row] == agree ? 1 : 0
                }
            }
        }
        return state
    }

    /// The rows with a user id but no user name, ascending (few), which the proposer ranking leaves out; built on
    /// first use.
    /// - Complexity: O(n) once.
    func unnamedUserRows() -> [Int32] {
        if let built = unnamedRows.withLock({ $0 }) { return built }
        var rows: [Int32] = []
        table.userId.codes.withCodeBuffer { userCodes in
            table.userName.codes.withCodeBuffer { nameCodes in
                for row in 0..<table.rowCount where nameCodes[row] == 0 && userCodes[row] != 0 {
                    rows.append(Int32(truncatingIfNeeded: row))
                }
            }
        }
        return unnamedRows.withLock { cached in
            if cached == nil { cached = rows }
            return cached!
        }
    }
}

/// Zeroed counter tables for the proposer partitions, kept between queries: a table is taken for one partition's
/// slice and given back zeroed, so a one-month ranking neither maps nor faults in fresh pages.
final class CounterPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [UnsafeMutablePointer<UInt64>] = []

    /// A zeroed table of ``ProposerPartitions/pairsPerPartition`` counters.
    func take() -> UnsafeMutablePointer<UInt64> {
        lock.lock()
        let table = free.popLast()
        lock.unlock()
        if let table { return table }
        let fresh = UnsafeMutablePointer<UInt64>.allocate(capacity: ProposerPartitions.pairsPerPartition)
        fresh.initialize(repeating: 0, count: ProposerPartitions.pairsPerPartition)
        return fresh
    }

    /// Returns a table whose counters are all zero again.
    func give(_ table: UnsafeMutablePointer<UInt64>) {
        lock.lock()
        free.append(table)
        lock.unlock()
    }

    deinit {
        for table in free { table.deallocate() }
    }
}
