/// The first row of each day (in the engine's zone) from the table's first creation day to the day after its last.
///
/// The rows are in creation order, so a period, a calendar bucket and a row's creation day come from this index
/// (four bytes per day) instead of the creation times (four or eight bytes per row), which a long-lived process
/// can then release.
struct DayIndex: Sendable {
    /// The day number of the first entry of ``starts``.
    let firstDay: Int
    /// `starts[d − firstDay]`: the first row created on day `d` or later, for `d` from ``firstDay`` through the day
    /// after the last creation day.
    let starts: [Int32]
    /// The rows of the table.
    let rowCount: Int

    /// Finds each day's first row in ascending creation times.
    /// - Complexity: O(days × log n).
    init(times: TimeColumn, clock: ZoneClock) {
        rowCount = times.count
        guard let first = times.first, let last = times.last else {
            firstDay = 0
            starts = [0]
            return
        }
        firstDay = clock.dayNumber(at: first)
        let lastDay = max(firstDay, clock.dayNumber(at: last))
        var starts: [Int32] = []
        starts.reserveCapacity(lastDay - firstDay + 2)
        var low = 0
        for day in firstDay...(lastDay + 1) {
            let instant = clock.startOfDay(day)
            var high = times.count
            while low < high {
                let middle = (low + high) >> 1
                if times[middle] < instant { low = middle + 1 } else { high = middle }
            }
            starts.append(Int32(truncatingIfNeeded: low))
        }
        self.starts = starts
    }

    /// The first row created on `day` or later: 0 before the first creation day, the row count after the last.
    /// - Complexity: O(1).
    @inline(__always)
    func firstRow(onOrAfterDay day: Int) -> Int {
        let index = day - firstDay
        if index <= 0 { return 0 }
        if index >= starts.count { return rowCount }
        return Int(starts[index])
    }

    /// The creation day of a row.
    /// - Complexity: O(log days).
    func day(ofRow row: Int) -> Int {
        // The last day whose first row is at or before `row`.
        var low = 0
        var high = starts.count
        while low < high {
            let middle = (low + high) >> 1
            if Int(starts[middle]) <= row { low = middle + 1 } else { high = middle }
        }
        return firstDay + low - 1
    }
}
