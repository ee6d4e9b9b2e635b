/// The two DingTalk server API families (`docs/dingtalk-api-notes.md` §1).
public enum DingTalkAPI: String, Sendable, CaseIterable {
    /// `api.dingtalk.com/v1.0`: token in the `x-acs-dingtalk-access-token` header, HTTP 4xx errors.
    case v1
    /// `oapi.dingtalk.com` (topapi): token in `?access_token=`, HTTP 200 with `errcode`.
    case legacy
}

/// What a sync needs to know: where DingTalk is, who we are, what to fetch, and how gently.
///
/// The fields mirror the `[dingtalk]` and `[sync]` sections of `leanstats.toml` (`docs/configuration.md` §2, §3);
/// the CLI fills them from the file, the environment and secret files. The description never shows the secret.
public struct SyncSettings: Sendable, CustomStringConvertible {
    /// `dingtalk.api`.
    public var api: DingTalkAPI = .v1
    /// `dingtalk.api_url`: the v1.0 host.
    public var apiURL = "https://api.dingtalk.com"
    /// `dingtalk.oapi_url`: the legacy host (also used for the contacts APIs).
    public var oapiURL = "https://oapi.dingtalk.com"
    /// `dingtalk.app_key`.
    public var appKey = ""
    /// `dingtalk.app_secret` (or the content of `app_secret_file`).
    public var appSecret = ""
    /// `dingtalk.process_code`: the approval templates to sync.
    public var processCodes: [String] = []
    /// `sync.qps`: calls per API in any one-second window, retries included.
    public var qps = 15
    /// `sync.timeout_s`: the time limit of one request.
    public var timeoutSeconds = 30.0
    /// `sync.retries`: retries per call for throttling and transient failures.
    public var retries = 5
    /// `sync.monthly_call_budget`: quota-bearing calls allowed per calendar month.
    public var monthlyCallBudget = 5000
    /// `sync.monthly_push_budget`: Stream/Webhook event pushes allowed per calendar month (DingTalk's free tier: 3,000).
    public var monthlyPushBudget = 3000
    /// `sync.catch_up_hours`: hours between catch-ups (``SyncMode/catchUp``) while Stream events keep the store fresh;
    /// ``CatchUpPolicy`` stretches it when the budgets run low.
    public var catchUpHours = 12.0
    /// `sync.concurrency`: detail requests in flight at once.
    public var concurrency = 4
    /// `sync.batch_size`: instances fetched between two durable snapshot writes.
    public var batchSize = 100
    /// `sync.backoff_ms`: the first retry's delay; each further retry doubles it (with jitter).
    public var backoffMilliseconds = 1000
    /// `sync.backoff_max_ms`: the longest delay between retries, also the cap on a server's `Retry-After`.
    public var backoffMaxMilliseconds = 30_000
    /// `sync.list_cap`: the most ids one listing loop returns (DingTalk: 10,000); a window that reaches it is split.
    public var listCap = 10_000
    /// `sync.max_response_mib`: the largest response body accepted, in MiB after content decoding; a larger one
    /// (a misbehaving server, a decompression bomb) stops the sync instead of filling memory.
    public var maxResponseMebibytes = 16
    /// `sync.contacts`: fetch user names and department member counts from the contacts APIs.
    public var contacts = true

    /// The defaults of `docs/configuration.md` §2 and §3, without credentials or process codes.
    public init() {}

    /// ``maxResponseMebibytes`` in bytes.
    public var maxResponseBytes: Int { maxResponseMebibytes << 20 }

    /// Checks that every value is present and in range.
    /// - Throws: ``SyncError`` with code `.configuration` naming the key to fix.
    public func validate() throws(SyncError) {
        func require(_ condition: Bool, _ message: String) throws(SyncError) {
            if !condition { throw SyncError(.configuration, message) }
        }
        try require(!appKey.isEmpty, Self.missing("dingtalk.app_key"))
        try require(!appSecret.isEmpty, Self.missing("dingtalk.app_secret") + " (or app_secret_file)")
        try require(!processCodes.isEmpty && !processCodes.contains(""), Self.missing("dingtalk.process_code"))
        for (key, url) in [("dingtalk.api_url", apiURL), ("dingtalk.oapi_url", oapiURL)] {
            try require(
                url.hasPrefix("https://") || url.hasPrefix("http://"),
                "\(key) '\(url)' is not an http(s) URL; e.g. https://api.dingtalk.com"
            )
        }
        try require(qps >= 1 && qps <= 1000, "sync.qps must be between 1 and 1000 (DingTalk allows 20 per API)")
        try require(timeoutSeconds > 0 && timeoutSeconds <= 600, "sync.timeout_s must be between 0 and 600 seconds")
        try require(retries >= 0 && retries <= 100, "sync.retries must be between 0 and 100")
        try require(monthlyCallBudget >= 0, "sync.monthly_call_budget must not be negative")
        try require(monthlyPushBudget >= 0, "sync.monthly_push_budget must not be negative")
        try require(
            catchUpHours >= 1 && catchUpHours <= 720,
            "sync.catch_up_hours must be between 1 and 720 hours (30 days); the default 12 keeps a plant with "
                + "about 300 open proposals well inside DingTalk's free tier"
        )
        try require(concurrency >= 1 && concurrency <= 64, "sync.concurrency must be between 1 and 64")
        try require(batchSize >= 1, "sync.batch_size must be at least 1")
        try require(backoffMilliseconds >= 0, "sync.backoff_ms must not be negative")
        try require(
            backoffMaxMilliseconds >= backoffMilliseconds,
            "sync.backoff_max_ms must be at least sync.backoff_ms"
        )
        try require(listCap >= 20, "sync.list_cap must be at least 20")
        try require(
            maxResponseMebibytes >= 1 && maxResponseMebibytes <= 1024,
            "sync.max_response_mib must be between 1 and 1024"
        )
    }

    private static func missing(_ key: String) -> String {
        let parts = key.split(separator: ".")
        let variable = "LEANSTATS_" + parts.joined(separator: "_").uppercased()
        return "\(key) is not set; add \(parts[1]) to the [\(parts[0])] section of leanstats.toml or set \(variable)"
    }

    public var description: String {
        "api=\(api.rawValue) api_url=\(apiURL) oapi_url=\(oapiURL) app_key=\(appKey) app_secret=*** "
            + "process_code=\(processCodes.joined(separator: ",")) qps=\(qps) timeout_s=\(timeoutSeconds) "
            + "retries=\(retries) monthly_call_budget=\(monthlyCallBudget)"
    }
}
