import Foundation

/// Counts the quota-bearing calls (listing pages and details) per calendar month and enforces
/// `sync.monthly_call_budget`.
///
/// A call reserves its place before it is sent and settles afterwards, so concurrent calls cannot overshoot the
/// budget together. The counts are stored in the snapshot's metadata (`sync.quota`).
actor QuotaLedger {
    private var counts: [String: Int]
    private var reserved = 0
    private let budget: Int
    private let month: @Sendable () -> String
    /// Counted calls made by this process.
    private(set) var usedByThisRun = 0

    /// Creates a ledger.
    /// - Parameters:
    ///   - counts: Calls counted so far, by month (`YYYY-MM`).
    ///   - budget: The monthly budget.
    ///   - month: The current month.
    init(counts: [String: Int], budget: Int, month: @escaping @Sendable () -> String) {
        self.counts = counts
        self.budget = budget
        self.month = month
    }

    /// Reserves one call.
    /// - Throws: ``SyncError`` with code `.budgetReached` when the month's budget is spent.
    func reserve() throws(SyncError) {
        let current = month()
        let used = counts[current] ?? 0
        guard used + reserved < budget else {
            throw SyncError(
                .budgetReached,
                "the monthly call budget is used up (\(used) of \(budget) calls in \(current)); the sync stopped "
                    + "cleanly and continues from here next month, or raise sync.monthly_call_budget"
            )
        }
        reserved += 1
    }

    /// Settles a reserved call.
    /// - Parameter counted: Whether DingTalk counts it.
    func settle(counted: Bool) {
        reserved -= 1
        if counted {
            counts[month(), default: 0] += 1
            usedByThisRun += 1
        }
    }

    /// The counts by month.
    func snapshot() -> [String: Int] { counts }

    /// The calls counted in the current month and the month's name.
    func usage() -> (month: String, used: Int, budget: Int) {
        let current = month()
        return (current, counts[current] ?? 0, budget)
    }
}
