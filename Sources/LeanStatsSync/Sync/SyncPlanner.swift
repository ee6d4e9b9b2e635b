/// DingTalk's listing rules (`docs/dingtalk-api-notes.md` §5) and the windows a sync lists.
public enum SyncPlanner {
    /// One day in milliseconds.
    public static let day: Int64 = 86_400_000
    /// The longest window one listing query may cover.
    public static let maxWindow: Int64 = 120 * day
    /// How far back a listing may start.
    public static let lookback: Int64 = 365 * day
    /// Kept clear of the 365-day edge, so a clock that runs a little behind DingTalk's is not refused.
    public static let edgeMargin: Int64 = 10 * 60_000
    /// How far before the cursor an incremental sync starts listing, for instances that became visible late.
    public static let overlap: Int64 = 10 * 60_000

    /// The oldest start time a listing may use at `now`.
    public static func oldestStart(now: Int64) -> Int64 {
        now - lookback + edgeMargin
    }

    /// Splits `[from, to]` into windows of at most 120 days for each process code, newest first (the newest window
    /// of every code before any older one).
    /// - Parameters:
    ///   - from: The oldest creation time, epoch milliseconds.
    ///   - to: The newest creation time, epoch milliseconds.
    ///   - processCodes: The approval templates.
    /// - Returns: Non-overlapping windows; none when `from > to`.
    static func windows(from: Int64, to: Int64, processCodes: [String]) -> [SyncWindow] {
        guard from <= to else { return [] }
        var ranges: [(start: Int64, end: Int64)] = []
        var end = to
        while end >= from {
            let start = max(from, end - maxWindow)
            ranges.append((start, end))
            end = start - 1
        }
        return ranges.flatMap { range in
            processCodes.map { SyncWindow(processCode: $0, start: range.start, end: range.end) }
        }
    }

    /// How much a RUNNING listing window reaches before and after the open instances it covers, so that a creation
    /// time stored to the second (or a v1.0 time read from minutes) still falls inside.
    public static let runningMargin: Int64 = 60 * 60_000

    /// The windows a catch-up lists with status RUNNING: as few windows of at most 120 days as cover the creation
    /// times of the store's open instances (with ``runningMargin`` either side), for each process code, newest
    /// first. Open instances created before ``oldestStart(now:)`` are out of DingTalk's reach.
    /// - Parameters:
    ///   - openCreateTimes: The open instances' creation times, epoch milliseconds, in any order.
    ///   - now: The run's now.
    ///   - processCodes: The approval templates.
    /// - Returns: The windows, and how many open instances lie beyond reach (each is re-fetched instead).
    static func runningWindows(
        openCreateTimes: [Int64],
        now: Int64,
        processCodes: [String]
    ) -> (windows: [SyncWindow], beyondReach: Int) {
        let oldest = oldestStart(now: now)
        let times = openCreateTimes.filter { $0 >= oldest }.sorted()
        var ranges: [(start: Int64, end: Int64)] = []
        var next = 0
        while next < times.count {
            let start = max(oldest, times[next] - runningMargin)
            let end = min(now, start + maxWindow)
            ranges.append((start, end))
            while next < times.count && (times[next] + runningMargin <= end || end == now) { next += 1 }
        }
        let windows = ranges.reversed().flatMap { range in
            processCodes.map { SyncWindow(processCode: $0, start: range.start, end: range.end) }
        }
        return (windows, openCreateTimes.count - times.count)
    }

    /// Splits a window whose listing reached the id cap into two halves, newer half first.
    /// - Returns: The halves, or `nil` when the window is already shorter than two minutes.
    static func split(_ window: SyncWindow) -> [SyncWindow]? {
        guard window.end - window.start >= 120_000 else { return nil }
        let middle = window.start + (window.end - window.start) / 2
        return [
            SyncWindow(processCode: window.processCode, start: middle + 1, end: window.end),
            SyncWindow(processCode: window.processCode, start: window.start, end: middle),
        ]
    }
}
