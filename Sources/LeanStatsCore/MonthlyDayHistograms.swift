import Dispatch

/// Each calendar month's histogram of processing days over the whole table, one counter per day value: the median
/// and 90th percentile of a period of whole months without a filter (`overview`, `efficiency`, each bucket of
/// `by month|quarter|year`) add up their months' counters instead of counting the period's rows.
///
/// A month's rows are one contiguous range (rows are in creation order), so the histograms are one pass over the
/// days. At 10M rows over five years and days of 0–210 they are 62 × 211 counters (52 KB).
struct MonthlyDayHistograms: Sendable {
    /// The most counters (months × bins) kept: a table whose days span more is counted per query instead.
    static let maximumCounters = 1 << 20

    /// `starts[m]` is the first row of month `m` (counted from the first row's month); the last entry is the row
    /// count.
    let starts: [Int]
    /// Counters per month: one per day value from the table's least processing days.
    let bins: Int
    /// `counts[m × bins + d]`: the instances of month `m` with `low + d` processing days.
    let counts: [Int32]

    /// Counts every month's days, the months on every core when `parallel`.
    /// - Parameters:
    ///   - low: the least processing days of the table; `bins` counters cover it and the greatest.
    ///   - days: each row's processing days (``StatisticsEngine/noDays`` for none).
    /// - Returns: `nil` for a table without rows or when months × bins exceed ``maximumCounters``.
    /// - Complexity: O(rows + months × bins).
    init?(monthStarts starts: [Int], bins: Int, low: Int32, days: DaysBuffer, parallel: Bool) {
        let months = starts.count - 1
        guard months > 0, bins > 0, months * bins <= Self.maximumCounters else { return nil }
        var counts = [Int32](repeating: 0, count: months * bins)
        counts.withUnsafeMutableBufferPointer { counts in
            let shared = UnsafeTransfer(value: counts)
            let count: @Sendable (Int) -> Void = { month in
                let histogram = shared.value.baseAddress! + month * bins
                for row in starts[month]..<starts[month + 1] {
                    let value = days[row]
                    if value != StatisticsEngine.noDays { histogram[Int(value &- low)] &+= 1 }
                }
            }
            if parallel {
                DispatchQueue.concurrentPerform(iterations: months, execute: count)
            } else {
                for month in 0..<months { count(month) }
            }
        }
        self.starts = starts
        self.bins = bins
        self.counts = counts
    }

    /// The histogram of `rows` when they are exactly whole months (their first row starts a month and their end
    /// starts another or ends the table), else `nil`.
    /// - Complexity: O(months × bins).
    func histogram(of rows: Range<Int>) -> [Int32]? {
        guard let whole = MonthlyTotals.wholeMonths(of: rows, starts: starts), whole.rows == rows else { return nil }
        var total = [Int32](repeating: 0, count: bins)
        for month in whole.months {
            for bin in 0..<bins { total[bin] &+= counts[month * bins + bin] }
        }
        return total
    }
}

extension StatisticsEngine {
    /// ``MonthlyDayHistograms`` of the table, built on first use; `nil` when no instance has processing days or
    /// the histograms would be too large.
    func monthlyDayHistograms() -> MonthlyDayHistograms? {
        if let built = monthlyDayHistogramsCache.withLock({ $0 }) { return built }
        let built: MonthlyDayHistograms? = daysBounds().flatMap { bounds in
            withKernelColumns { columns in
                MonthlyDayHistograms(
                    monthStarts: MonthlyTotals.monthStarts(days: days, rowCount: table.rowCount),
                    bins: Int(bounds.high) - Int(bounds.low) + 1,
                    low: bounds.low,
                    days: columns.days,
                    parallel: options.workers > 1
                )
            }
        }
        monthlyDayHistogramsCache.withLock { $0 = .some(built) }
        return built
    }
}
