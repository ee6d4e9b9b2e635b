/// Monthly totals of the department or category crossed with the outcome (status and result). A filter that tests
/// only that column, the status and the result (`where result=none or dept=质量部 and status=TERMINATED`) keeps or
/// drops whole cells, so `overview` and `by` of additive figures and open ages add up the cells it admits over the
/// whole months of the period, and scan only the partial months at its edges.
///
/// A cell's status and result are fixed, so it keeps only its count, processing days and open instances' creation
/// days (``CubeCell``, 40 B): 300 departments × 4 outcomes × 62 months take 3 MB.
struct OutcomeCube: Sendable {
    /// The column crossed with the outcomes: ``FilterColumn/dept`` or ``FilterColumn/category``.
    let column: FilterColumn
    /// The number of codes of that column.
    let codeCount: Int
    /// The (status, result) pairs that occur in the table; cell `code × outcomes.count + i` of a month holds the
    /// rows of that code with the `i`-th pair.
    let outcomes: [(status: UInt8, result: UInt8)]
    /// The first row of each month, then the row count (``MonthlyTotals/monthStarts(days:rowCount:)``).
    let starts: [Int]
    /// `cells[m × cellsPerMonth + c]`: cell `c` in month `m`.
    let cells: [CubeCell]
    /// Cells per month: codes × outcomes.
    var cellsPerMonth: Int { codeCount * outcomes.count }

    /// The most cells (months × codes × outcomes) of one cube: 10 MB.
    static let maximumCells = 1 << 18
    /// The most distinct (status, result) pairs: a status byte below 16 and a result byte below 4.
    static let outcomeSlots = 64
}

/// One month's rows of one code and outcome: what does not follow from the outcome.
struct CubeCell: Sendable {
    var count: Int32 = 0
    var completed: Int32 = 0
    var within30: Int32 = 0
    var minDays = Int32.max
    var maxDays = Int32.min
    var totalDays = 0
    /// The sum of the creation day numbers of the open instances (all of the cell's, or none).
    var openCreatedDays = 0

    /// The cell from a scan's totals of its rows.
    init(_ totals: RangeTotals) {
        count = Int32(truncatingIfNeeded: totals.count)
        completed = Int32(truncatingIfNeeded: totals.completed)
        within30 = Int32(truncatingIfNeeded: totals.within30)
        minDays = totals.minDays
        maxDays = totals.maxDays
        totalDays = totals.totalDays
        openCreatedDays = totals.openCreatedDays
    }

    /// Adds the cell to the totals of its group, given its outcome.
    @inline(__always)
    func add(to totals: inout RangeTotals, status: UInt8, result: UInt8) {
        let count = Int(self.count)
        totals.count += count
        totals.agree += result == InstanceResult.agree.rawValue ? count : 0
        totals.refuse += result == InstanceResult.refuse.rawValue ? count : 0
        totals.running += status == InstanceStatus.running.rawValue ? count : 0
        totals.open += InstanceStatus.isOpen(byte: status) ? count : 0
        totals.openCreatedDays &+= openCreatedDays
        totals.completed += Int(completed)
        totals.within30 += Int(within30)
        totals.totalDays += totalDays
        totals.minDays = min(totals.minDays, minDays)
        totals.maxDays = max(totals.maxDays, maxDays)
    }
}

extension ResolvedFilter {
    /// Whether some alternative accepts a row with these codes of the cube's column, status and result; for a
    /// filter that tests no other column (``cubeColumn(grouping:)``).
    /// - Complexity: O(alternatives).
    func admits(_ column: FilterColumn, code: UInt32, status: UInt8, result: UInt8) -> Bool {
        guard !isEmpty else { return true }
        func accepts(_ term: Term) -> Bool {
            (column == .dept ? term.dept : term.category).admits(code, words)
                && term.statuses & 1 << UInt64(status) != 0 && term.results & 1 << UInt64(result) != 0
        }
        return accepts(first) || others.contains(where: accepts)
    }

    /// The column of the outcome cube that answers this filter for a grouping (`nil` for one group): the filter
    /// and the grouping test at most one of department and category, besides status and result, and no user. The
    /// department's cube answers a filter of status and result only. `nil` when no cube can.
    func cubeColumn(grouping: FilterColumn?) -> FilterColumn? {
        guard !isEmpty else { return nil }
        var columns = Set<FilterColumn>(grouping.map { [$0] } ?? [])
        for term in [first] + others {
            guard !term.testsUser else { return nil }
            columns.formUnion(term.testedColumns)
        }
        let coded = columns.subtracting([.status, .result])
        guard coded.count <= 1 else { return nil }
        return coded.first ?? .dept
    }
}

extension StatisticsEngine {
    /// The outcome cube of a column (``FilterColumn/dept`` or ``FilterColumn/category``), built on first use by an
    /// engine that builds indexes; `nil` in one that does not, or when it would have more than
    /// ``OutcomeCube/maximumCells`` cells.
    /// - Complexity: O(n) once (two passes to find the outcomes and code the cells, one to total the months),
    ///   then O(1); the cells' codes live only while it is built.
    func outcomeCube(_ column: FilterColumn) -> OutcomeCube? {
        if let built = outcomeCubes.withLock({ $0[column] }) { return built }
        guard options.buildsIndexes, table.rowCount > 0 else { return nil }
        let built = buildOutcomeCube(column)
        return outcomeCubes.withLock { cached in
            if cached[column] == nil { cached[column] = .some(built) }
            return cached[column]!
        }
    }

    private func buildOutcomeCube(_ column: FilterColumn) -> OutcomeCube? {
        let grouping = columnGrouping(column)
        let rowCount = table.rowCount
        // The outcome index of each (status, result) pair that occurs, by `status << 2 | result`.
        var outcomeIndex = [Int32](repeating: -1, count: OutcomeCube.outcomeSlots)
        var outcomes: [(status: UInt8, result: UInt8)] = []
        let fits = table.status.withUnsafeBufferPointer { status in
            table.result.withUnsafeBufferPointer { result in
                var seen: UInt64 = 0
                for row in 0..<rowCount {
                    guard status[row] < 16, result[row] < 4 else { return false }
                    seen |= 1 << UInt64(status[row] << 2 | result[row])
                }
                for pair in 0..<OutcomeCube.outcomeSlots where seen & 1 << UInt64(pair) != 0 {
                    outcomeIndex[pair] = Int32(outcomes.count)
                    outcomes.append((UInt8(pair >> 2), UInt8(pair & 3)))
                }
                return true
            }
        }
        let groupCount = grouping.groupCount * outcomes.count
        let starts = MonthlyTotals.monthStarts(days: days, rowCount: rowCount)
        let months = starts.count - 1
        guard fits, months * groupCount <= OutcomeCube.maximumCells, groupCount <= 1 << 16 else { return nil }
        // At most 2^16 cells a month, so a cell's code fits two bytes.
        var cellCodes = [UInt16](repeating: 0, count: rowCount)
        grouping.codes.withCodeBuffer { codes in
            table.status.withUnsafeBufferPointer { status in
                table.result.withUnsafeBufferPointer { result in
                    outcomeIndex.withUnsafeBufferPointer { index in
                        for row in 0..<rowCount {
                            let outcome = Int(index[Int(status[row] << 2 | result[row])])
                            cellCodes[row] = UInt16(truncatingIfNeeded: Int(codes[row]) &* outcomes.count &+ outcome)
                        }
                    }
                }
            }
        }
        let codes = CodeArray.u16(cellCodes)
        var cells = [CubeCell](repeating: CubeCell(RangeTotals()), count: months * groupCount)
        for month in 0..<months where starts[month] < starts[month + 1] {
            let rows = starts[month]..<starts[month + 1]
            var totals = monthScan(rows, codes: codes, groupCount: groupCount)
            // The open instances' creation days, day by day.
            table.status.withUnsafeBufferPointer { status in
                var row = rows.lowerBound
                while row < rows.upperBound {
                    let day = days.day(ofRow: row)
                    let end = min(rows.upperBound, days.firstRow(onOrAfterDay: day + 1))
                    for row in row..<end where InstanceStatus.isOpen(byte: status[row]) {
                        totals[Int(cellCodes[row])].openCreatedDays += day
                    }
                    row = end
                }
            }
            for cell in 0..<groupCount { cells[month * groupCount + cell] = CubeCell(totals[cell]) }
        }
        return OutcomeCube(
            column: column,
            codeCount: grouping.groupCount,
            outcomes: outcomes,
            starts: starts,
            cells: cells
        )
    }
}

extension StatisticsEngine {
    /// The additive totals and open figures of `rows` per group from an outcome cube: the cells `filter` admits in
    /// the whole months inside, each added to its group (`grouping`: the column whose codes are the groups, `nil`
    /// for one group), plus the general kernels over the partial months at either end; `nil` when the rows hold no
    /// whole month.
    /// - Parameters:
    ///   - key: the grouping's key, for the edge scans.
    ///   - groupCount: the grouping's number of groups (1 for one group).
    /// - Complexity: O(months × cells), plus the edge scans.
    func cubeTotals(
        _ cube: OutcomeCube,
        rows: Range<Int>,
        filter: ResolvedFilter,
        grouping: FilterColumn?,
        key: GroupKey,
        groupCount: Int,
        options: StatisticsOptions
    ) -> [RangeTotals]? {
        cubeTotals(
            cube,
            ranges: [rows],
            filter: filter,
            grouping: grouping,
            key: key,
            groupCount: groupCount,
            options: options
        )[0]
    }

    /// ``cubeTotals(_:rows:filter:grouping:key:groupCount:options:)`` of each of some row ranges, the cells the
    /// filter admits chosen once for all.
    /// - Complexity: O(cells + ranges × cells admitted + months × cells admitted), plus the edge scans.
    func cubeTotals(
        _ cube: OutcomeCube,
        ranges: [Range<Int>],
        filter: ResolvedFilter,
        grouping: FilterColumn?,
        key: GroupKey,
        groupCount: Int,
        options: StatisticsOptions
    ) -> [[RangeTotals]?] {
        // The group each admitted cell adds to; status and result groups leave out code 0, as their kernels do.
        var admitted: [(cell: Int, group: Int, status: UInt8, result: UInt8)] = []
        for code in 0..<cube.codeCount {
            for (index, outcome) in cube.outcomes.enumerated()
            where filter.admits(cube.column, code: UInt32(code), status: outcome.status, result: outcome.result) {
                let group =
                    switch grouping {
                    case nil: 0
                    case .status: Int(outcome.status)
                    case .result: Int(outcome.result)
                    case .dept, .category: code
                    }
                if group == 0 && (grouping == .status || grouping == .result) { continue }
                admitted.append((code * cube.outcomes.count + index, group, outcome.status, outcome.result))
            }
        }
        let cellsPerMonth = cube.cellsPerMonth
        return ranges.map { rows in
            guard let whole = MonthlyTotals.wholeMonths(of: rows, starts: cube.starts) else { return nil }
            var totals = [RangeTotals](repeating: RangeTotals(), count: max(groupCount, 1))
            cube.cells.withUnsafeBufferPointer { cells in
                for month in whole.months {
                    let base = month * cellsPerMonth
                    for entry in admitted {
                        cells[base + entry.cell].add(
                            to: &totals[entry.group],
                            status: entry.status,
                            result: entry.result
                        )
                    }
                }
            }
            for edge in [rows.lowerBound..<whole.rows.lowerBound, whole.rows.upperBound..<rows.upperBound]
            where !edge.isEmpty {
                let selection = selectRows(edge, filter: filter)
                let state = aggregate(
                    rows: selection,
                    key: key,
                    groupCount: groupCount,
                    filter: filter,
                    options: options.subtracting(.openAge)
                )
                for group in totals.indices { totals[group].add(state.totals(of: group)) }
                if options.contains(.openAge) {
                    let ages = openAges(rows: selection, key: key, groupCount: groupCount, filter: filter)
                    for group in totals.indices {
                        totals[group].open += ages.open[group]
                        totals[group].openCreatedDays += ages.createdDays[group]
                    }
                }
            }
            return totals
        }
    }
}
