import LeanStatsCore

/// Watches one window's listing loop for pagination that never ends, so a server that keeps handing out cursors
/// cannot spend the month's call budget on one window.
///
/// A listing is stopped when a page names a cursor the loop has already followed (0 counts as followed), when
/// ``barrenPageLimit`` pages in a row name a next cursor but bring no id the loop has not seen, or when it needs
/// more pages than ``pageLimit`` (what `sync.list_cap` ids take at DingTalk's 20 per page, plus slack).
struct ListingGuard {
    /// Pages in a row without a new id, each naming a next cursor, that mean the listing is going round.
    static let barrenPageLimit = 3

    let window: SyncWindow
    let zone: ZoneClock
    /// The most pages one listing may take.
    let pageLimit: Int
    private var cursors: Set<Int64> = [0]
    private var ids = Set<String>()
    private var pages = 0
    private var barrenPages = 0

    /// Creates a guard for a window's listing.
    /// - Parameters:
    ///   - window: The window listed.
    ///   - listCap: `sync.list_cap`, the most ids one listing returns.
    ///   - zone: The zone the window's times are shown in (Beijing, as DingTalk counts them).
    init(window: SyncWindow, listCap: Int, zone: ZoneClock) {
        self.window = window
        self.zone = zone
        self.pageLimit = (listCap + DingTalkWire.pageSize - 1) / DingTalkWire.pageSize + 2
    }

    /// Checks one page before its next cursor is followed.
    /// - Parameter page: The page just listed.
    /// - Throws: ``SyncError`` with code `.invalidResponse`, naming the process code, the window and what repeated,
    ///   when following the page's cursor would go round in circles.
    mutating func check(_ page: InstanceIdPage) throws(SyncError) {
        pages += 1
        var fresh = false
        for id in page.ids where ids.insert(id).inserted { fresh = true }
        guard let next = page.nextCursor else { return }
        barrenPages = fresh ? 0 : barrenPages + 1
        if !cursors.insert(next).inserted {
            throw looping("page \(pages) named the cursor \(next) again")
        }
        if barrenPages >= Self.barrenPageLimit {
            throw looping("\(barrenPages) pages in a row named a next cursor but brought no new instance id")
        }
        if pages >= pageLimit {
            throw looping(
                "it still named a next cursor after \(pages) pages, more than \(pageLimit - 2) are needed "
                    + "for sync.list_cap ids"
            )
        }
    }

    private func looping(_ what: String) -> SyncError {
        let range = "\(zone.format(window.start / 1000))–\(zone.format(window.end / 1000)) (Beijing time)"
        return SyncError(
            .invalidResponse,
            "the listing of \(window.processCode) for \(range) does not end: \(what); the sync stopped it after "
                + "\(pages) call\(pages == 1 ? "" : "s") instead of spending the monthly call budget, and the store "
                + "keeps what it had; try again later, and report it to DingTalk if it persists"
        )
    }
}
