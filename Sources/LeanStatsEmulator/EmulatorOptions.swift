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
    /// The user the login page signs in without asking (a user id, or ``EmulatedOrganisation/outsider``); `nil`
    /// to show a page to pick one. A `login_as` query parameter on the login page overrides it.
    public var loginAs: String?

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
            ("--oversize-every", oversizeEvery),
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
            && oversizeEvery == nil && listingLoop == nil
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
    /// Faults injected, by kind (`fail`, `throttle`, `expire`, `slow`, `garbage`, `oversize`, `loop`).
    public var faults: [String: Int] = [:]
    /// Requests refused because the API's QPS limit was exceeded (not injected faults).
    public var qpsRejections = 0
    /// Approval-API calls counted against the monthly quota.
    public var quotaCalls = 0
    /// Robot posts refused: 310000 (signature, timestamp or keyword) and 130101 (throttled).
    public var robotRejections: [Int: Int] = [:]

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
