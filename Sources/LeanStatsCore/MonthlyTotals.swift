/// Each calendar month's totals per group of a grouping: an unfiltered `by` query of additive figures (counts,
/// agreements, refusals, running instances, processing days) over a period of whole months adds up its months'
/// cells instead of scanning its rows, and scans only the days of a partial month at either end.
///
/// A month's rows are one contiguous range (rows are in creation order), so a month's cells are one scan of its
/// rows. Distinct counts (participants, departments) do not add up across months and never come from here.
struct MonthlyTotals: Sendable {
    /// The most cells (months × groups) kept for one grouping: 1.5 MB of a few hundred departments over five years
    /// fits many times; a grouping with many more values is scanned instead.
    static let maximumCells = 1 << 16

    /// `starts[m]` is the first row of month `m` (counted from the first row's month); the last entry is the row
    /// count.
    let starts: [Int]
    let groupCount: Int
    /// `cells[m × groupCount + g]`: the totals of group `g` in month `m`.
    let cells: [RangeTotals]

    /// Builds the cells with `scan`, which totals one range of rows per group.
    /// - Returns: `nil` for a table without rows or a grouping with more than ``maximumCells`` cells.
    /// - Complexity: one scan of every row, in one `scan` call per month.
    init?(days: DayIndex, rowCount: Int, groupCount: Int, scan: (Range<Int>) -> [RangeTotals]) {
        guard rowCount > 0, groupCount > 0 else { return nil }
        let starts = Self.monthStarts(days: days, rowCount: rowCount)
        let months = starts.count - 1
        guard months * groupCount <= Self.maximumCells else { return nil }
        var cells = [RangeTotals](repeating: RangeTotals(), count: months * groupCount)
        for month in 0..<months where starts[month] < starts[month + 1] {
            let totals = scan(starts[month]..<starts[month + 1])
            for group in 0..<groupCount { cells[month * groupCount + group] = totals[group] }
        }
        self.starts = starts
        self.groupCount = groupCount
        self.cells = cells
    }

    /// The first row of each calendar month from the first row's through the last row's, then the row count.
    /// - Complexity: O(months × log n).
    static func monthStarts(days: DayIndex, rowCount: Int) -> [Int] {
        guard rowCount > 0 else { return [0] }
        let first = CivilDate(dayNumber: days.day(ofRow: 0))
        let last = CivilDate(dayNumber: days.day(ofRow: rowCount - 1))
        let months = (last.year - first.year) * 12 + last.month - first.month + 1
        return (0...months).map { month in
            let index = first.month - 1 + month
            let date = CivilDate(year: first.year + index / 12, month: index % 12 + 1, day: 1)
            return month == months ? rowCount : days.firstRow(onOrAfterDay: date.dayNumber)
        }
    }

    /// Whether `rows` hold a whole calendar month, which ``totals(of:scan:)`` then adds up from cells: the first
    /// month starting in them also ends in them.
    /// - Complexity: O(log n).
    static func holdsWholeMonth(_ rows: Range<Int>, days: DayIndex) -> Bool {
        guard !rows.isEmpty else { return false }
        let day = CivilDate(dayNumber: days.day(ofRow: rows.lowerBound))
        func start(monthsAfter months: Int) -> Int {
            let index = day.month - 1 + months
            return days.firstRow(
                onOrAfterDay: CivilDate(year: day.year + index / 12, month: index % 12 + 1, day: 1).dayNumber
            )
        }
        let months = start(monthsAfter: 0) >= rows.lowerBound ? 0 : 1
        return start(monthsAfter: months + 1) <= rows.upperBound
    }

    /// The whole months inside `rows` (as month numbers) and their rows; `nil` when the rows hold none.
    /// - Complexity: O(log months).
    func wholeMonths(of rows: Range<Int>) -> (months: Range<Int>, rows: Range<Int>)? {
        Self.wholeMonths(of: rows, starts: starts)
    }

    /// The whole months inside `rows` given the months' first rows (``monthStarts(days:rowCount:)``).
    static func wholeMonths(of rows: Range<Int>, starts: [Int]) -> (months: Range<Int>, rows: Range<Int>)? {
        let first = starts.partitionPoint { $0 >= rows.lowerBound }
        let last = starts.partitionPoint { $0 > rows.upperBound } - 1
        guard first < last else { return nil }
        return (first..<last, starts[first]..<starts[last])
    }

    /// The totals of `rows` per group: the cells of the whole months inside, plus `scan` of the rows before the
    /// first and after the last; `nil` when the rows hold no whole month (a scan is then as quick).
    /// - Complexity: O(months × groups), plus the scans of the partial months.
    func totals(of rows: Range<Int>, scan: (Range<Int>) -> [RangeTotals]) -> [RangeTotals]? {
        guard let whole = wholeMonths(of: rows) else { return nil }
        var totals = [RangeTotals](repeating: RangeTotals(), count: groupCount)
        for month in whole.months {
            for group in 0..<groupCount { totals[group].add(cells[month * groupCount + group]) }
        }
        for edge in [rows.lowerBound..<whole.rows.lowerBound, whole.rows.upperBound..<rows.upperBound]
        where !edge.isEmpty {
            let part = scan(edge)
            for group in 0..<groupCount { totals[group].add(part[group]) }
        }
        return totals
    }
}
