/// The rows one statistics call visits: a period's contiguous row range, or only some listed rows in it (the rows
/// of the users or departments a filter names, from a ``CodeRowIndex``), ascending.
///
/// A listed selection holds at least every row that passes the filter; the kernels still test each row against the
/// whole filter, so the list only saves them from visiting rows that cannot pass, unless ``passesFilter`` says that
/// every listed row passes (a filter of departments only, listed by department), when they skip the test.
struct RowSelection: Sendable {
    /// The period's rows; every listed row lies inside.
    let range: Range<Int>
    /// The rows to visit, ascending, or `nil` for the whole range.
    let listed: [Int32]?
    /// Whether every listed row passes the filter the rows were listed for.
    let passesFilter: Bool

    /// Every row of a range.
    init(_ range: Range<Int>) {
        self.range = range
        listed = nil
        passesFilter = false
    }

    /// Some rows of a range, ascending and inside it; `passesFilter` when each passes the filter they were listed for.
    init(range: Range<Int>, listed: [Int32], passesFilter: Bool = false) {
        self.range = range
        self.listed = listed
        self.passesFilter = passesFilter
    }

    /// The selected rows of a sub-range of ``range``.
    /// - Complexity: O(log count).
    func restricted(to rows: Range<Int>) -> RowSelection {
        guard let listed else { return RowSelection(rows) }
        let low = listed.partitionPoint { Int($0) >= rows.lowerBound }
        let high = listed[low...].partitionPoint { Int($0) >= rows.upperBound }
        return RowSelection(range: rows, listed: Array(listed[low..<high]), passesFilter: passesFilter)
    }

    /// The filter a kernel must still test the selected rows against: none when every listed row passes it.
    func kernelFilter(_ filter: ResolvedFilter) -> ResolvedFilter {
        listed != nil && passesFilter ? .everything : filter
    }

    /// Calls `body` with the selection as one ``RowMorsel`` (sequential kernels).
    func withMorsel<R>(_ body: (RowMorsel) -> R) -> R {
        guard let listed else { return body(.range(range)) }
        return listed.withUnsafeBufferPointer { body(.listed(ListedRows(rows: $0))) }
    }
}

/// One worker's share of a ``RowSelection``: kernels switch on it once per morsel and run a loop specialised for
/// either kind, never once per row.
enum RowMorsel {
    case range(Range<Int>)
    case listed(ListedRows)
}

/// Listed rows as a sequence of `Int` row numbers, for kernels generic over their row sequence.
struct ListedRows: Sequence {
    let rows: UnsafeBufferPointer<Int32>

    struct Iterator: IteratorProtocol {
        let rows: UnsafeBufferPointer<Int32>
        var position = 0

        @inline(__always)
        mutating func next() -> Int? {
            guard position < rows.count else { return nil }
            defer { position &+= 1 }
            return Int(rows[position])
        }
    }

    func makeIterator() -> Iterator { Iterator(rows: rows) }

    /// The same rows, last first (for newest-first lists).
    func reversed() -> ReversedCollection<UnsafeBufferPointer<Int32>> { rows.reversed() }
}

/// Which rows of a range pass a filter: bit `i % 64` of word `i / 64` for row `low + i`. An eighth of a byte a
/// row, so a period's bitmap stays in cache while kernels that visit rows out of order test it.
struct RowBitmap: Sendable {
    /// The range's first row.
    let low: Int
    let words: [UInt64]

    /// The bit of the row `offset` rows after ``low`` in `words` (1: it passes), for loops over the words' buffer.
    @inline(__always)
    static func bit(_ words: UnsafeBufferPointer<UInt64>, offset: Int) -> UInt64 {
        words[offset >> 6] >> UInt64(offset & 63) & 1
    }
}

/// Listed rows below this count are visited by one worker.
let listedRowsPerWorker = 1 << 14

/// Runs `body` over the morsels of a selection on up to `options.workers` threads, as
/// ``runMorsels(rows:options:makeState:body:combine:)`` does for a range; a listed selection is split by position.
func runMorsels<State: AnyObject>(
    selection: RowSelection,
    options: KernelOptions,
    makeState: () -> State,
    body: (RowMorsel, State) -> Void,
    combine: (State, State) -> Void
) -> State {
    guard let listed = selection.listed else {
        return runMorsels(
            rows: selection.range,
            options: options,
            makeState: makeState,
            body: { body(.range($0), $1) },
            combine: combine
        )
    }
    // A short list costs less on one thread than handing it out to several.
    var options = options
    if listed.count < listedRowsPerWorker { options.workers = 1 }
    return listed.withUnsafeBufferPointer { rows in
        runMorsels(
            rows: 0..<rows.count,
            options: options,
            makeState: makeState,
            body: { positions, state in
                body(.listed(ListedRows(rows: UnsafeBufferPointer(rebasing: rows[positions]))), state)
            },
            combine: combine
        )
    }
}

/// Each code's rows of a dictionary-coded column, ascending, in one flat array (compressed sparse rows): code `c`
/// owns `rows[starts[c]..<starts[c + 1]]`. Lets a filter on users or departments visit their rows instead of the
/// whole period.
struct CodeRowIndex: Sendable {
    /// Where each code's rows begin in ``rows``; one more entry than there are codes.
    let starts: [Int32]
    /// Row numbers grouped by code, ascending within each code.
    let rows: [Int32]

    /// Builds the index with a counting sort of the codes.
    /// - Complexity: O(rows + codes), two passes; 4 B per row and per code.
    init(codes: CodeArray, codeCount: Int) {
        var starts = [Int32](repeating: 0, count: max(codeCount, 1) + 1)
        let rowCount = codes.count
        for row in 0..<rowCount { starts[Int(codes[row]) + 1] &+= 1 }
        for code in starts.indices.dropFirst() { starts[code] &+= starts[code - 1] }
        var next = starts
        var rows = [Int32](repeating: 0, count: rowCount)
        for row in 0..<rowCount {
            let code = Int(codes[row])
            rows[Int(next[code])] = Int32(truncatingIfNeeded: row)
            next[code] &+= 1
        }
        self.starts = starts
        self.rows = rows
    }

    /// The number of rows of some codes in the whole table.
    /// - Complexity: O(codes).
    func rowCount(of codes: [UInt32]) -> Int {
        codes.reduce(0) { total, code in
            Int(code) + 1 < starts.count ? total + Int(starts[Int(code) + 1] - starts[Int(code)]) : total
        }
    }

    /// The rows of some codes inside a row range, ascending.
    /// - Complexity: O(codes × log rows per code + selected × log codes): each code's rows are already sorted, so
    ///   they are merged pairwise.
    func rows(of codes: [UInt32], in range: Range<Int>) -> [Int32] {
        var runs: [ArraySlice<Int32>] = []
        for code in codes where Int(code) + 1 < starts.count {
            let own = rows[Int(starts[Int(code)])..<Int(starts[Int(code) + 1])]
            let low = own.partitionPoint { Int($0) >= range.lowerBound }
            let high = own[low...].partitionPoint { Int($0) >= range.upperBound }
            if low < high { runs.append(own[low..<high]) }
        }
        while runs.count > 1 {
            var merged: [ArraySlice<Int32>] = []
            for pair in stride(from: 0, to: runs.count, by: 2) {
                merged.append(pair + 1 < runs.count ? mergeSorted(runs[pair], runs[pair + 1])[...] : runs[pair])
            }
            runs = merged
        }
        return runs.first.map(Array.init) ?? []
    }
}

/// Two ascending runs as one ascending array.
/// - Complexity: O(a + b).
func mergeSorted(_ a: ArraySlice<Int32>, _ b: ArraySlice<Int32>) -> [Int32] {
    var merged: [Int32] = []
    merged.reserveCapacity(a.count + b.count)
    var i = a.startIndex
    var j = b.startIndex
    while i < a.endIndex && j < b.endIndex {
        if a[i] <= b[j] {
            merged.append(a[i])
            i += 1
        } else {
            merged.append(b[j])
            j += 1
        }
    }
    merged.append(contentsOf: a[i...])
    merged.append(contentsOf: b[j...])
    return merged
}

extension Collection {
    /// The index of the first element for which `belongsToSecondPart` holds, in a collection where it is false for
    /// a prefix and true for the rest.
    /// - Complexity: O(log n) comparisons.
    func partitionPoint(where belongsToSecondPart: (Element) -> Bool) -> Index {
        var low = startIndex
        var length = count
        while length > 0 {
            let half = length / 2
            let middle = index(low, offsetBy: half)
            if belongsToSecondPart(self[middle]) {
                length = half
            } else {
                low = index(after: middle)
                length -= half + 1
            }
        }
        return low
    }
}
