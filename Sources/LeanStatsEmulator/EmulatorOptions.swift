/// How the emulator behaves: credentials, the process code it knows, the limits it enforces and the faults it
/// injects.
public struct EmulatorOptions: Sendable {
    /// The app key (client id) the emulator accepts.
    public var appKey: String = "leanstats-emulator-key"
    /// The app secret (client secret) the emulator accepts.
    public var appSecret: String = "leanstats-emulator-secret"
    /// The approval template code the instances belong to.
    public var processCode: String = "PROC-LEANSTATS-PROPOSAL-0001"
    /// Calls allowed per API in any sliding one-second window (DingTalk: 20 for a standard-edition app).
    public var qps: Int = 20
    /// Lifetime of an access token in seconds (DingTalk: 7200).
    public var tokenLifetimeSeconds: Int = 7200
    /// The most ids one listing loop can reach (DingTalk: 10,000); after that the listing ends without a token.
    public var listCap: Int = 10_000
    /// The organisation's monthly quota of approval-API calls, `nil` for unlimited (DingTalk: 5000 on the
    /// standard edition).
    public var monthlyQuota: Int?
    /// Faults to inject.
    public var faults: FaultPlan = FaultPlan()
    /// The `access_token` of the emulated group robot's webhook (`/robot/send`).
    public var robotAccessToken: String = "leanstats-emulator-robot"
    /// The robot's signing secret; posts must carry a valid `timestamp` and `sign`. `nil` for an unsigned robot.
    public var robotSecret: String? = "SECleanstats-emulator-robot-secret"
    /// A keyword every robot message must contain, `nil` for none.
    public var robotKeyword: String?
    /// Robot messages allowed per minute of emulated time before the robot is throttled for 10 minutes
    /// (DingTalk: 20).
    public var robotMessagesPerMinute: Int = 20
    /// How many robot posts, from the first, have their connection reset without an answer (a network fault).
    public var robotConnectionResets = 0
    /// The user the login page signs in without asking (a user id, or ``EmulatedOrganisation/outsider``); `nil`
    /// to show a page to pick one. A `login_as` query parameter on the login page overrides it.
    public var loginAs: String?
    /// Whether the Stream gateway also pushes `bpms_task_change` events (each one is a push against the quota).
    public var streamTaskEvents = false
    /// How long the Stream gateway waits for an ack before sending an event again (DingTalk: 3 s).
    public var streamAckTimeoutMilliseconds = 3000
    /// The most events the Stream gateway keeps for a client that is not connected; older ones are lost.
    public var streamQueueLimit = 1000
    /// How long a Stream ticket from `connections/open` stays valid (DingTalk: 90 s).
    public var streamTicketSeconds = 90
    /// Stream pushes allowed per month of the emulated clock, `nil` for unlimited (DingTalk's free tier: 3,000);
    /// beyond, EVENT frames carry errCode 20001 and no content.
    public var monthlyPushQuota: Int?
    /// The period of the Stream gateway's SYSTEM pings, `nil` for none.
    public var streamPingMilliseconds: Int? = 30_000

    /// The defaults: DingTalk's limits, no quota, no faults.
    public init() {}
}

/// Which requests get a fault instead of (or before) their normal answer. Each period counts every request the
/// emulator receives (1, 2, 3, …); request n gets the fault when n is a multiple of the period.
public struct FaultPlan: Sendable, Equatable {
    /// Every Nth request fails transiently: HTTP 5xx, or legacy `errcode` -1 / 15.
    public var failEvery: Int?
    /// Every Nth request is throttled: legacy 90018 / 88+90018 / 90002, v1.0 HTTP 403 `…QpsLimit…` or HTTP 429.
    public var throttleEvery: Int?
    /// Every Nth authenticated request finds its access token expired (the token is revoked).
    public var expireTokenEvery: Int?
    /// Every Nth request is answered after ``slowMilliseconds``.
    public var slowEvery: Int?
    /// Every Nth request gets a broken body: an HTML ban page, a punish JSON, truncated JSON or a cut transfer.
    public var garbageEvery: Int?
    /// The delay of a slow answer.
    public var slowMilliseconds: Int = 2000
    /// Every Nth request gets an oversized answer: alternately a body of ``oversizeBytes`` with a matching
    /// `Content-Length`, and a small gzip body (`Content-Encoding: gzip`) that inflates to ``oversizeBytes``.
    public var oversizeEvery: Int?
    /// The size of an oversized answer (the gzip variant's size once inflated).
    public var oversizeBytes: Int = 64 << 20
    /// How the listing APIs paginate wrongly, `nil` for correctly.
    public var listingLoop: ListingLoop?
    /// Every Nth event the Stream gateway delivers, it closes the connection right after the frame, without a
    /// SYSTEM `disconnect`.
    public var streamDropEvery: Int?
    /// Every Nth event the Stream gateway delivers, it sends SYSTEM `disconnect` after the frame and closes.
    public var streamDisconnectEvery: Int?
    /// Every Nth `SUCCESS` ack the Stream gateway ignores, so the event is delivered again after the ack timeout.
    public var streamWithholdAckEvery: Int?
    /// Every Nth event the Stream gateway delivers twice in a row.
    public var streamDuplicateEvery: Int?
    /// Events emitted while no Stream client is connected are lost instead of queued.
    public var streamLoseWhileDisconnected = false

    /// Ways a listing's pagination can go wrong, in both API families (`next_cursor` / `nextToken`).
    public enum ListingLoop: String, Sendable, CaseIterable {
        /// Every page after the first names the same next cursor again, so following it never ends.
        case repeatedCursor = "repeat"
        /// Every page names a further cursor, also past the last id, so pages keep coming back empty.
        case endlessCursor = "endless"
    }

    /// No faults.
    public init(
        failEvery: Int? = nil,
        throttleEvery: Int? = nil,
        expireTokenEvery: Int? = nil,
        slowEvery: Int? = nil,
        garbageEvery: Int? = nil,
        slowMilliseconds: Int = 2000,
        oversizeEvery: Int? = nil,
        oversizeBytes: Int = 64 << 20,
        listingLoop: ListingLoop? = nil
    ) {
        self.failEvery = failEvery
        self.throttleEvery = throttleEvery
        self.expireTokenEvery = expireTokenEvery
        self.slowEvery = slowEvery
        self.garbageEvery = garbageEvery
        self.slowMilliseconds = slowMilliseconds
        self.oversizeEvery = oversizeEvery
        self.oversizeBytes = oversizeBytes
        self.listingLoop = listingLoop
    }

    /// Checks that every period is at least 1.
    /// - Throws: ``EmulatorError`` naming the `leanstats emulator` option that is out of range.
    public func validate() throws(EmulatorError) {
        let periods = [
            ("--fail-every", failEvery), ("--throttle-every", throttleEvery),
            ("--expire-token-every", expireTokenEvery), ("--slow-every", slowEvery), ("--garbage-every", garbageEvery),
            ("--oversize-every", oversizeEvery), ("--stream-drop-every", streamDropEvery),
            ("--stream-disconnect-every", streamDisconnectEvery),
            ("--stream-withhold-ack-every", streamWithholdAckEvery), ("--stream-duplicate-every", streamDuplicateEvery),
        ]
        for (name, period) in periods where (period ?? 1) < 1 {
            throw EmulatorError(.option, "\(name) must be at least 1")
        }
        if oversizeBytes < 1 || oversizeBytes > 1 << 30 {
            throw EmulatorError(.option, "--oversize-bytes must be between 1 and 1073741824")
        }
    }

    /// Whether any fault is enabled.
    public var isEmpty: Bool {
        failEvery == nil && throttleEvery == nil && expireTokenEvery == nil && slowEvery == nil && garbageEvery == nil
            && oversizeEvery == nil && listingLoop == nil && streamDropEvery == nil && streamDisconnectEvery == nil
            && streamWithholdAckEvery == nil && streamDuplicateEvery == nil && !streamLoseWhileDisconnected
    }
}

/// What the emulator has seen, for tests and for the `emulator` command's closing line.
public struct EmulatorStatistics: Sendable {
    /// Requests received, faults included.
    public var requests = 0
    /// Requests per API name (`gettoken`, `v1.0/oauth2/accessToken`, `topapi/processinstance/get`, …).
    public var requestsPerAPI: [String: Int] = [:]
    /// Arrival times per API name, monotonic nanoseconds.
    public var arrivals: [String: [UInt64]] = [:]
    /// Token requests answered with a token.
    public var tokenRequests = 0
    /// New tokens minted (a token request while the current token is valid returns the same one).
    public var tokensIssued = 0
    /// Faults injected, by kind (`fail`, `throttle`, `expire`, `slow`, `garbage`, `oversize`, `loop`,
    /// `stream-drop`, `stream-disconnect`, `stream-withhold-ack`, `stream-duplicate`, `robot-reset`).
    public var faults: [String: Int] = [:]
    /// Requests refused because the API's QPS limit was exceeded (not injected faults).
    public var qpsRejections = 0
    /// Approval-API calls counted against the monthly quota.
    public var quotaCalls = 0
    /// Robot posts refused: 310000 (signature, timestamp or keyword) and 130101 (throttled).
    public var robotRejections: [Int: Int] = [:]
    /// Approval-API calls counted against the quota, per month of the emulated clock (`YYYY-MM`, Beijing time).
    public var quotaCallsPerMonth: [String: Int] = [:]
    /// Stream pushes: every EVENT frame sent, redeliveries and duplicates included.
    public var pushes = 0
    /// Stream pushes per month of the emulated clock (`YYYY-MM`, Beijing time).
    public var pushesPerMonth: [String: Int] = [:]
    /// EVENT frames sent with errCode 20001 instead of the event, the push quota being used up (not pushes).
    public var pushesOverQuota = 0
    /// Stream pushes that repeated an event already sent (redeliveries and duplicates).
    public var redeliveries = 0
    /// Events the emulator's instance changes produced for the Stream gateway.
    public var eventsEmitted = 0
    /// Events lost: emitted while disconnected under the fault, or pushed out of a full queue.
    public var eventsLost = 0
    /// `SUCCESS` acks that settled an event.
    public var streamAcks = 0
    /// Stream tickets issued by `connections/open`.
    public var streamTickets = 0
    /// WebSocket connections refused for a missing, used or expired ticket.
    public var streamTicketRejections = 0
    /// WebSocket connections accepted.
    public var streamConnections = 0
    /// SYSTEM pings sent, and replies received.
    public var streamPings = 0
    public var streamPongs = 0

    /// The largest number of arrivals of one API inside any one-second window.
    /// - Parameter api: The API name.
    /// - Returns: The maximum count over all windows `[t, t + 1 s)` starting at an arrival.
    public func busiestSecond(of api: String) -> Int {
        let times = (arrivals[api] ?? []).sorted()
        var best = 0
        var low = 0
        for high in times.indices {
            while times[high] - times[low] >= 1_000_000_000 { low += 1 }
            best = max(best, high - low + 1)
        }
        return best
    }
}
