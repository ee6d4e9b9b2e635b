import Foundation
import LeanStatsCore

/// One page of a listing loop.
public struct InstanceIdPage: Sendable, Equatable {
    /// The ids on this page (at most 20).
    public var ids: [String]
    /// The cursor of the next page, `nil` on the last page.
    public var nextCursor: Int64?

    /// Creates a page.
    public init(ids: [String], nextCursor: Int64?) {
        self.ids = ids
        self.nextCursor = nextCursor
    }
}

/// A user as the contacts API describes them.
public struct ContactUser: Sendable, Equatable, Codable {
    /// The display name.
    public var name: String?
    /// The departments the user belongs to.
    public var departmentIds: [Int64]

    /// Creates a user.
    public init(name: String?, departmentIds: [Int64]) {
        self.name = name
        self.departmentIds = departmentIds
    }
}

/// A department as the contacts API describes it.
public struct ContactDepartment: Sendable, Equatable, Codable {
    /// The department's name.
    public var name: String?
    /// Its member count, when DingTalk reports it.
    public var memberCount: Int?

    /// Creates a department.
    public init(name: String?, memberCount: Int?) {
        self.name = name
        self.memberCount = memberCount
    }
}

/// Counters of what the client did, for progress lines and the summary.
public struct ClientStatistics: Sendable, Equatable {
    /// Requests sent, by endpoint path, retries included.
    public var requests: [String: Int] = [:]
    /// Answers by endpoint path and outcome (`ok`, `auth`, `throttled`, `transient`, `quota`, `error`).
    public var outcomes: [String: [String: Int]] = [:]
    /// Retries after throttling or transient failures.
    public var retries = 0
    /// Throttling answers received.
    public var throttled = 0
    /// Access tokens fetched (the first one included).
    public var tokenFetches = 0
    /// Calls retried after DingTalk rejected their token.
    public var tokenRejections = 0

    /// All requests sent.
    public var totalRequests: Int { requests.values.reduce(0, +) }
}

/// The DingTalk client: both API families behind one interface, with the access token, the per-API rate limit,
/// retries and the monthly call budget handled inside.
///
/// Every call goes through the same steps: reserve a place in the monthly budget (approval APIs only), get the
/// token, wait for the API's rate limiter, send, and classify the answer (``DingTalkReply``). An invalid or expired
/// token is refreshed once (concurrent failures share one refresh) and the call retried; throttling and transient
/// failures back off exponentially with jitter, up to `sync.retries` times; permanent errors and the monthly quota
/// stop at once with a message that says what to fix.
public final class DingTalkClient: Sendable {
    let executor: CallExecutor
    let tokens: AccessTokenCache

    /// Creates a client.
    /// - Parameters:
    ///   - settings: Where DingTalk is, the credentials and the limits.
    ///   - transport: The HTTP transport (``CurlTransport`` in production).
    ///   - quota: The ledger of the monthly call budget.
    init(settings: SyncSettings, transport: any HTTPTransport, quota: QuotaLedger) {
        let executor = CallExecutor(
            wire: DingTalkWire(settings: settings),
            transport: transport,
            policy: RetryPolicy(settings: settings),
            limiters: RateLimiters(limit: settings.qps),
            quota: quota,
            counters: Locked(ClientStatistics())
        )
        self.executor = executor
        self.tokens = AccessTokenCache {
            () async throws(SyncError) -> (token: String, lifetime: Int) in
            try await executor.fetchToken()
        }
    }

    /// Creates a client with its own budget ledger (for tests and tools).
    /// - Parameters:
    ///   - settings: Where DingTalk is, the credentials and the limits.
    ///   - transport: The HTTP transport.
    public convenience init(settings: SyncSettings, transport: any HTTPTransport) {
        let ledger = QuotaLedger(counts: [:], budget: settings.monthlyCallBudget) { "current" }
        self.init(settings: settings, transport: transport, quota: ledger)
    }

    /// What the client did so far.
    public var statistics: ClientStatistics {
        get async {
            var statistics = executor.counters.withLock { $0 }
            statistics.tokenFetches = await tokens.fetches
            return statistics
        }
    }

    /// Makes sure a valid access token is at hand (fetching one checks the credentials).
    /// - Throws: ``SyncError`` when the token API refuses the credentials or cannot be reached.
    public func authenticate() async throws(SyncError) {
        _ = try await tokens.token()
    }

    /// Lists one page of instance ids created in a window.
    /// - Parameters:
    ///   - processCode: The approval template.
    ///   - start: The window's start, epoch milliseconds.
    ///   - end: The window's end (inclusive), epoch milliseconds.
    ///   - cursor: 0 for the first page, then the previous page's ``InstanceIdPage/nextCursor``.
    ///   - statuses: Only instances in these v1.0 statuses (`RUNNING`, `COMPLETED`, `TERMINATED`); all when empty.
    ///     The legacy listing has no status filter (`docs/dingtalk-api-notes.md` §5): asking it for statuses is a
    ///     programming error the client refuses.
    /// - Returns: The page.
    /// - Throws: ``SyncError``; code `.configuration` when statuses are given to the legacy family.
    public func listInstanceIds(
        processCode: String,
        start: Int64,
        end: Int64,
        cursor: Int64,
        statuses: [String] = []
    ) async throws(SyncError) -> InstanceIdPage {
        guard statuses.isEmpty || executor.wire.api == .v1 else {
            throw SyncError(
                .configuration,
                "the legacy listing API cannot filter by status; set dingtalk.api = \"v1\" to list by status"
            )
        }
        let call = DingTalkCall.listIds(
            processCode: processCode,
            start: start,
            end: end,
            cursor: cursor,
            statuses: statuses
        )
        let object = try await executor.perform(call, tokens: tokens)
        guard let result = object.object("result"), let ids = result.strings("list") else {
            throw executor.unexpected(call, "no result.list")
        }
        let next = executor.wire.api == .v1 ? result.text("nextToken") : result.text("next_cursor")
        guard let next, !next.isEmpty else { return InstanceIdPage(ids: ids, nextCursor: nil) }
        guard let cursor = Int64(next) else {
            throw executor.unexpected(call, "a cursor '\(next)' that is not a number")
        }
        return InstanceIdPage(ids: ids, nextCursor: cursor)
    }

    /// Reads one instance's detail.
    /// - Parameter instanceId: The instance id.
    /// - Returns: The response body (legacy `{"errcode":0,"process_instance":…}` or v1.0 `{"result":…}`).
    /// - Throws: ``SyncError``; code `.deleted` when DingTalk says the instance no longer exists (v1.0), `.notFound`
    ///   when it cannot find it otherwise (a malformed id, any legacy refusal of a detail).
    public func instanceDetail(_ instanceId: String) async throws(SyncError) -> [UInt8] {
        try await executor.perform(.detail(instanceId: instanceId), tokens: tokens).text
    }

    /// Reads one user from the contacts API (`/topapi/v2/user/get`, exempt from the monthly quota).
    /// - Parameter userId: The user id.
    /// - Returns: The user, or `nil` when DingTalk does not know them (e.g. they left).
    /// - Throws: ``SyncError``.
    public func user(_ userId: String) async throws(SyncError) -> ContactUser? {
        do {
            let object = try await executor.perform(.user(userId: userId), tokens: tokens)
            let result = object.object("result")
            let departments = (result?.fields["dept_id_list"] as? [Any] ?? []).compactMap(JSONObject.integer)
            return ContactUser(name: result?.text("name").flatMap { $0.isEmpty ? nil : $0 }, departmentIds: departments)
        } catch  where error.code == .notFound {
            return nil
        }
    }

    /// Reads one department from the contacts API (`/topapi/v2/department/get`, exempt from the monthly quota).
    /// - Parameter id: The department id; approval data's root `-1` is asked for as `1`.
    /// - Returns: The department, or `nil` when DingTalk does not know it.
    /// - Throws: ``SyncError``.
    public func department(_ id: Int64) async throws(SyncError) -> ContactDepartment? {
        do {
            let object = try await executor.perform(.department(id: id == -1 ? 1 : id), tokens: tokens)
            let result = object.object("result")
            return ContactDepartment(
                name: result?.text("name"),
                memberCount: result?.integer("member_count").map { Int($0) }
            )
        } catch  where error.code == .notFound {
            return nil
        }
    }
}

extension DingTalkClient {
    /// Sends a work notification from the app to users (`/topapi/message/corpconversation/asyncsend_v2`). It uses
    /// the sync's access token, waits for the same rate limiter and counts as one metered call
    /// (`docs/dingtalk-delivery.md`).
    /// - Parameters:
    ///   - agentId: The app's agent id (`report.agent_id`).
    ///   - userIds: The DingTalk user ids to notify (`report.to_userids`).
    ///   - message: The JSON of the `msg` object, e.g. `{"msgtype":"markdown","markdown":{…}}`.
    /// - Returns: The task id DingTalk assigned.
    /// - Throws: ``SyncError`` naming what to fix (credentials, agent id, user ids, permission).
    @discardableResult
    public func sendWorkNotification(
        agentId: Int64,
        userIds: [String],
        message: [UInt8]
    ) async throws(SyncError) -> String {
        let call = DingTalkCall.workNotification(agentId: agentId, userIds: userIds, message: message)
        let object = try await executor.perform(call, tokens: tokens)
        return object.text("task_id") ?? ""
    }
}

/// The retry loop shared by the token fetch and every other call.
struct CallExecutor: Sendable {
    let wire: DingTalkWire
    let transport: any HTTPTransport
    let policy: RetryPolicy
    let limiters: RateLimiters
    let quota: QuotaLedger
    let counters: Locked<ClientStatistics>

    /// Fetches a new access token.
    func fetchToken() async throws(SyncError) -> (token: String, lifetime: Int) {
        let object = try await perform(.token, tokens: nil)
        let token = wire.api == .v1 ? object.text("accessToken") : object.text("access_token")
        let lifetime = wire.api == .v1 ? object.integer("expireIn") : object.integer("expires_in")
        guard let token, !token.isEmpty else { throw unexpected(.token, "no access token in the answer") }
        return (token, Int(lifetime ?? 7200))
    }

    /// Performs a call with the token, the rate limit, the budget and the retries.
    func perform(_ call: DingTalkCall, tokens: AccessTokenCache?) async throws(SyncError) -> JSONObject {
        var attempt = 0
        var tokenRetries = 0
        while true {
            if Task.isCancelled { throw SyncError(.cancelled, "the sync was interrupted") }
            let token: String?
            if let tokens, call.needsToken { token = try await tokens.token() } else { token = nil }
            if call.countsAgainstQuota { try await quota.reserve() }
            let reply: DingTalkReply
            do {
                reply = try await send(call, token: token)
            } catch {
                if call.countsAgainstQuota { await quota.settle(counted: false) }
                throw SyncError(.cancelled, "the sync was interrupted")
            }
            if call.countsAgainstQuota { await quota.settle(counted: reply.isCountedCall) }
            switch reply {
            case .success(let object):
                if let tokens, let token { await tokens.succeeded(with: token) }
                return object
            case .authentication(let detail):
                let verdict = await tokens?.reject(token ?? "")
                guard token != nil, tokenRetries < AccessTokenCache.unusedRejectionLimit + 2, verdict == .refresh else {
                    throw SyncError(
                        .credentials,
                        "DingTalk rejected a freshly issued access token on \(wire.endpoint(call)) (\(redact(detail))); "
                            + "check dingtalk.app_key, dingtalk.app_secret and the app's permissions"
                    )
                }
                tokenRetries += 1
                counters.withLock { $0.tokenRejections += 1 }
            case .throttled(let retryAfter, let detail):
                attempt += 1
                counters.withLock { $0.throttled += 1 }
                guard attempt <= policy.retries else {
                    throw SyncError(
                        .throttled,
                        "DingTalk kept throttling \(wire.endpoint(call)) (\(redact(detail))) after \(policy.retries) "
                            + "retries; lower sync.qps, or try again later"
                    )
                }
                try await backOff(attempt: attempt, retryAfter: retryAfter)
            case .transient(let code, let detail):
                attempt += 1
                guard attempt <= policy.retries else { throw gaveUp(call, code: code, detail: detail) }
                try await backOff(attempt: attempt, retryAfter: nil)
            case .quotaExhausted(let detail):
                throw SyncError(
                    .quotaExhausted,
                    "DingTalk's monthly API quota for the organisation is used up (\(redact(detail))); the sync "
                        + "stopped cleanly and continues from here when quota is available again"
                )
            case .failure(let code, let detail):
                throw failure(code, detail: redact(detail), call: call)
            }
        }
    }

    /// Sends one request under the API's rate limit and classifies the answer; transport failures become
    /// transient or permanent replies.
    private func send(_ call: DingTalkCall, token: String?) async throws(CancellationError) -> DingTalkReply {
        let path = wire.path(call)
        let limiter = await limiters.limiter(for: path)
        try await limiter.acquire()
        counters.withLock { $0.requests[path, default: 0] += 1 }
        let outcome: Result<HTTPResponse, TransportError>
        do {
            outcome = .success(try await transport.send(wire.request(call, token: token)))
        } catch {
            outcome = .failure(error)
        }
        await limiter.release()
        let reply: DingTalkReply
        switch outcome {
        case .success(let response):
            reply = DingTalkReply.classify(response, call: call, legacy: wire.isLegacyShape(call))
        case .failure(let error) where error.kind == .tooLarge:
            reply = .failure(.invalidResponse, error.message)
        case .failure(let error) where error.isTransient:
            reply = .transient(.network, "\(error.kind == .timeout ? "timed out: " : "")\(error.message)")
        case .failure(let error):
            reply = .failure(error.kind == .tls ? .network : .configuration, error.message)
        }
        counters.withLock { $0.outcomes[path, default: [:]][reply.outcomeName, default: 0] += 1 }
        return reply
    }

    private func backOff(attempt: Int, retryAfter: Double?) async throws(SyncError) {
        counters.withLock { $0.retries += 1 }
        do {
            try await Task.sleep(for: policy.delay(attempt: attempt, retryAfter: retryAfter))
        } catch {
            throw SyncError(.cancelled, "the sync was interrupted")
        }
    }

    /// The error after the last retry of a transient failure.
    private func gaveUp(_ call: DingTalkCall, code: SyncError.Code, detail: String) -> SyncError {
        let detail = redact(detail)
        let tries = "after \(policy.retries) retr\(policy.retries == 1 ? "y" : "ies")"
        let urlKey = "dingtalk.\(wire.isLegacyShape(call) ? "oapi_url" : "api_url")"
        switch code {
        case .invalidResponse:
            return SyncError(
                .invalidResponse,
                "\(wire.endpoint(call)) on \(wire.host(call)) kept answering with \(detail) \(tries); check that "
                    + "\(urlKey) points at DingTalk, or try again later if this IP is blocked"
            )
        case .network:
            return SyncError(
                .network,
                "cannot reach \(wire.host(call)) (\(detail)) \(tries); check \(urlKey), the network and "
                    + "sync.timeout_s"
            )
        default:
            return SyncError(
                .server,
                "\(wire.endpoint(call)) on \(wire.host(call)) kept failing (\(detail)) \(tries); DingTalk may be "
                    + "having trouble, try again later"
            )
        }
    }

    /// The error for a permanent failure, saying what to fix.
    private func failure(_ code: SyncError.Code, detail: String, call: DingTalkCall) -> SyncError {
        let endpoint = wire.endpoint(call)
        switch code {
        case .credentials:
            return SyncError(
                .credentials,
                "DingTalk rejected the app credentials (\(detail)); check dingtalk.app_key and dingtalk.app_secret"
            )
        case .permission:
            if case .streamConnection = call {
                return SyncError(
                    .permission,
                    "DingTalk refused to open a Stream connection (\(detail)); in the developer console set the "
                        + "app's event subscription to Stream mode and subscribe to the approval events, or run "
                        + "without [stream]"
                )
            }
            return SyncError(
                .permission,
                "the app may not call \(endpoint) (\(detail)); grant the permission in the DingTalk developer "
                    + "console (Workflow.Instance.Read for approvals, qyapi_get_member for contacts) or allow this "
                    + "machine's IP"
            )
        case .processCode:
            var name = ""
            if case .listIds(let processCode, _, _, _, _) = call { name = " '\(processCode)'" }
            return SyncError(
                .processCode,
                "DingTalk does not know the process code\(name) (\(detail)); check dingtalk.process_code (the "
                    + "approval template's code, PROC-…)"
            )
        case .notFound, .deleted:
            return SyncError(code, "\(endpoint): \(detail)")
        case .configuration:
            return SyncError(
                .configuration,
                "cannot send \(endpoint) (\(detail)); check dingtalk.\(wire.isLegacyShape(call) ? "oapi_url" : "api_url")"
            )
        case .invalidResponse:
            let urlKey = "dingtalk.\(wire.isLegacyShape(call) ? "oapi_url" : "api_url")"
            return SyncError(
                .invalidResponse,
                "\(detail); DingTalk's answers are far smaller, so check that \(urlKey) points at DingTalk (the "
                    + "transfer was stopped and nothing was stored from it), or raise sync.max_response_mib"
            )
        case .network:
            return SyncError(
                .network,
                "the TLS connection to \(wire.host(call)) failed (\(detail)); check the system's CA certificates "
                    + "(ca-certificates) and the URL"
            )
        default:
            if case .workNotification = call {
                return SyncError(
                    .request,
                    "DingTalk refused the work notification \(endpoint) (\(detail)); check report.agent_id, "
                        + "report.to_userids and the app's permission to send work notifications"
                )
            }
            return SyncError(
                .request,
                "DingTalk refused \(endpoint) (\(detail)); check this machine's clock and the settings, and report "
                    + "it if it persists"
            )
        }
    }

    /// The error for an answer that worked but lacks what the call needs.
    func unexpected(_ call: DingTalkCall, _ what: String) -> SyncError {
        SyncError(.invalidResponse, "\(wire.endpoint(call)) on \(wire.host(call)) answered with \(what)")
    }

    /// Removes the app secret from text that came from the server or the network stack.
    func redact(_ text: String) -> String {
        guard wire.appSecret.count >= 4 else { return text }
        return text.replacingOccurrences(of: wire.appSecret, with: "***")
    }
}
