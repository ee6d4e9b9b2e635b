/// Which instances a sync lists.
public enum SyncMode: Sendable, Equatable {
    /// From the last cursor (minus a short overlap) to now, plus every open instance of the store.
    case incremental
    /// From the last cursor (minus a short overlap) to now, like ``incremental``, but instead of re-fetching every
    /// open instance it lists the ids still RUNNING over the creation-time windows that cover them and fetches only
    /// the open instances missing from that list (finished, terminated or deleted since). The legacy family cannot
    /// list by status and re-fetches every open instance, as does any open instance created more than 365 days ago
    /// (`docs/quota-planning.md`).
    case catchUp
    /// Every window the API allows: 365 days back from now, plus every open instance.
    case full
    /// From a time (epoch milliseconds) to now, plus every open instance.
    case since(Int64)

    var name: String {
        switch self {
        case .incremental: "incremental"
        case .catchUp: "catch-up"
        case .full: "full"
        case .since: "since"
        }
    }
}

/// What one sync did (this process only; a resumed run's earlier part is not counted again).
public struct SyncSummary: Sendable, Equatable {
    /// Instance details fetched and stored.
    public var fetched = 0
    /// Of those, instances new to the store.
    public var inserted = 0
    /// Of those, instances that changed.
    public var updated = 0
    /// Of those, instances already stored exactly so.
    public var unchanged = 0
    /// Ids whose detail could not be read (unreadable, or unknown to the legacy API).
    public var failed = 0
    /// Stored instances DingTalk says no longer exist, removed from the store.
    public var removed = 0
    /// Windows listed.
    public var windows = 0
    /// Catch-up: windows listed with status RUNNING.
    public var runningWindows = 0
    /// Catch-up: open instances of the store that are still RUNNING and were not fetched.
    public var stillRunning = 0
    /// Quota-bearing calls made (listing pages and details).
    public var quotaCalls = 0
    /// All HTTP requests made (tokens, contacts and retries included).
    public var requests = 0
    /// Retries after throttling or transient failures.
    public var retries = 0
    /// v1.0 details whose creation time disagreed with their business id.
    public var timeMismatches = 0
    /// The month the calls were counted in, `YYYY-MM`.
    public var month = ""
    /// Quota-bearing calls counted in that month so far, this sync included.
    public var usedThisMonth = 0
    /// `sync.monthly_call_budget`.
    public var budget = 0
    /// Wall-clock duration in seconds.
    public var seconds = 0.0
    /// Whether this sync continued an unfinished one.
    public var resumed = false
    /// Why the sync stopped early (budget or quota used up); `nil` when it finished.
    public var stop: SyncError?

    /// The summary as one line, e.g. `sync finished: fetched 2400 instances (2400 new, 0 updated, 0 unchanged,
    /// 0 failed) from 4 windows; 2521 API calls (2521 of 5000 used in 2025-12), 2760 requests, 12 retries, 33.1 s`.
    public var line: String {
        let state = stop == nil ? (resumed ? "sync finished (resumed)" : "sync finished") : "sync stopped early"
        return "\(state): fetched \(fetched) instances (\(inserted) new, \(updated) updated, \(unchanged) unchanged, "
            + "\(failed) failed) from \(windows) window\(windows == 1 ? "" : "s"); \(quotaCalls) API calls "
            + "(\(usedThisMonth) of \(budget) used in \(month)), \(requests) requests, \(retries) retries, "
            + "\(formatSeconds(seconds))"
            + (runningWindows > 0 ? "; \(stillRunning) open instances still running, not fetched" : "")
            + (removed > 0 ? "; \(removed) deleted in DingTalk and removed" : "")
    }
}

/// What a sync would cost, computed without calling DingTalk (`sync --dry-run`).
public struct SyncEstimate: Sendable, Equatable {
    /// The mode that was estimated.
    public var mode: SyncMode
    /// Whether an unfinished sync would be resumed.
    public var resuming = false
    /// The oldest creation time listed, epoch milliseconds.
    public var from: Int64 = 0
    /// The newest creation time listed, epoch milliseconds.
    public var to: Int64 = 0
    /// Windows to list.
    public var windows = 0
    /// Open instances of the store to re-fetch.
    public var openInstances = 0
    /// Catch-up: listing pages of the ids still RUNNING (the open instances they show are not fetched).
    public var runningPages = 0
    /// Ids already listed and waiting to be fetched (when resuming).
    public var listedPending = 0
    /// Instances the listing is expected to return, from the store's history; `nil` when the store is empty.
    public var expectedListed: Int?
    /// Of those, details expected to be fetched.
    public var expectedDetails: Int?
    /// Estimated quota-bearing calls.
    public var calls = 0
    /// The current month.
    public var month = ""
    /// Calls counted in the month so far.
    public var used = 0
    /// `sync.monthly_call_budget`.
    public var budget = 0

    /// Calls left in the month's budget.
    public var left: Int { max(0, budget - used) }

    /// Whether the sync would exceed the budget.
    public var exceedsBudget: Bool { calls > left }
}

/// A progress report while a sync runs.
public struct SyncProgress: Sendable, Equatable {
    /// What the sync is doing: `listing`, `open instances`, `fetching`.
    public var phase: String
    /// The current window (1-based) and the number of windows, 0 when not in a window.
    public var window = 0
    /// Windows planned.
    public var windowCount = 0
    /// Ids listed so far in this process.
    public var listed = 0
    /// Details fetched so far in this process.
    public var fetched = 0
    /// Details left in the current phase.
    public var remaining = 0
    /// Quota-bearing calls so far.
    public var calls = 0
    /// Retries so far.
    public var retries = 0

    /// The progress as one status line.
    public var line: String {
        let place = window > 0 ? " window \(window)/\(windowCount)" : ""
        return "sync: \(phase)\(place) — listed \(listed), fetched \(fetched), \(remaining) to go; \(calls) calls, "
            + "\(retries) retries"
    }
}

/// What a running sync reports.
public enum SyncEvent: Sendable {
    /// Progress (for a status line on a terminal).
    case progress(SyncProgress)
    /// Something the user should read (a resumed run, a budget warning, a skipped instance).
    case notice(String)
}

func formatSeconds(_ seconds: Double) -> String {
    let tenths = Int((seconds * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) s"
}
