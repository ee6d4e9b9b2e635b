import Foundation
import LeanStatsCore

/// A local stand-in for DingTalk's approval and contacts APIs, both families, for tests, trials and the demo.
///
/// It serves what `docs/dingtalk-api-notes.md` describes (§11), and enforces the same rules: access tokens (legacy in
/// the query, v1.0 in the `x-acs-dingtalk-access-token` header, each family rejecting the other style; the same token
/// returned while valid), listing windows of at most 120 days starting at most 365 days back, at most 20 ids per page,
/// at most ``EmulatorOptions/listCap`` ids per listing loop, a per-API QPS limit, an optional monthly quota, and each
/// family's error shapes. Detail bodies carry no instance id. On request it injects faults (``FaultPlan``).
///
/// Time runs on an ``EmulatorClock``, so a year-old sample can be served as recent data. Instances created after
/// the clock's "now" are invisible until the clock passes them.
///
/// Thread-safe: ``handle(_:)`` is called from the server's connection threads.
public final class DingTalkEmulator: Sendable {
    /// The behaviour the emulator was created with (the faults may change since: ``faults``).
    public let options: EmulatorOptions
    /// The emulated clock.
    public let clock: EmulatorClock
    let state: Locked<EmulatorState>
    let renderer: EmulatorRenderer
    /// The Stream gateway's tickets, queue and acks; its WebSocket server runs in ``EmulatorServer``.
    let streamHub: StreamHub
    /// Held from an instance change until its events are queued, so concurrent changes queue their events in the
    /// order the changes happened.
    let emission = Locked(())
    /// The plant driving the emulator, if any: its counts and whether it is paused (``plantStatus``).
    let plant = Locked(PlantStatus())

    /// Creates an emulator serving a dataset.
    /// - Parameters:
    ///   - dataset: The instances to serve.
    ///   - options: Credentials, limits and faults.
    ///   - clock: The emulated clock; by default it starts at the dataset's ``EmulatorDataset/defaultNow``.
    /// - Throws: ``EmulatorError`` when an option is out of range.
    public init(
        dataset: EmulatorDataset,
        options: EmulatorOptions = EmulatorOptions(),
        clock: EmulatorClock? = nil
    ) throws(EmulatorError) {
        try options.faults.validate()
        if options.qps < 1 { throw EmulatorError(.option, "--qps must be at least 1") }
        if options.listCap < 1 { throw EmulatorError(.option, "--list-cap must be at least 1") }
        if options.tokenLifetimeSeconds < 1 { throw EmulatorError(.option, "--token-lifetime must be at least 1") }
        if let login = options.loginAs, login != EmulatedOrganisation.outsider,
            !EmulatedOrganisation(records: dataset.instances).isMember(login)
        {
            throw EmulatorError(
                .option,
                "--login-as '\(login)' is not a user of the served data; give an originator's user id or "
                    + "'\(EmulatedOrganisation.outsider)'"
            )
        }
        if (options.monthlyQuota ?? 1) < 0 { throw EmulatorError(.option, "--monthly-quota must not be negative") }
        if (options.monthlyPushQuota ?? 1) < 0 {
            throw EmulatorError(.option, "--monthly-push-quota must not be negative")
        }
        self.options = options
        self.clock = clock ?? EmulatorClock(now: dataset.defaultNow)
        self.renderer = EmulatorRenderer(beijing: try EmulatorDataset.beijing(), processCode: options.processCode)
        let state = Locked(EmulatorState(records: dataset.instances, faults: options.faults))
        self.state = state
        let beijing = renderer.beijing
        let clock = self.clock
        self.streamHub = StreamHub(
            options: options,
            faults: { state.withLock { $0.faults } },
            month: { beijing.date(at: clock.now() / 1000).monthText },
            count: { item in
                let month = beijing.date(at: clock.now() / 1000).monthText
                state.withLock { Self.record(item, month: month, in: &$0.statistics) }
            }
        )
    }

    // MARK: - Inspection and changes (for tests and trials)

    /// The instances served, in list order (creation time, then id).
    public var instances: [InstanceRecord] { state.withLock { $0.records } }

    /// What the emulator has seen so far.
    public var statistics: EmulatorStatistics { state.withLock { $0.statistics } }

    /// Forgets the statistics (not the token, the quota or the data).
    public func resetStatistics() {
        state.withLock { $0.statistics = EmulatorStatistics() }
    }

    /// Changes an instance, e.g. finishes a RUNNING one, and queues the Stream events the change produces
    /// (`docs/dingtalk-api-notes.md` §12.4).
    /// - Parameters:
    ///   - id: The instance id.
    ///   - change: Edits the record; its instance id must stay the same.
    /// - Returns: Whether the instance exists.
    @discardableResult
    public func update(_ id: String, _ change: (inout InstanceRecord) -> Void) -> Bool {
        emission.withLock { _ in
            let events = state.withLock { state -> [StreamEvent]? in
                guard let old = state.record(id) else { return nil }
                var record = old
                change(&record)
                record.instanceId = id
                state.upsert([record])
                return streamEvents(from: old, to: record)
            }
            guard let events else { return false }
            emit(events)
            return true
        }
    }

    /// Deletes an instance: its detail answers `processInstanceNotExist` (v1.0) from now on, listings leave it out,
    /// and a `bpms_instance_change` event of type `delete` is queued.
    /// - Parameter id: The instance id.
    /// - Returns: Whether the instance existed.
    @discardableResult
    public func delete(_ id: String) -> Bool {
        emission.withLock { _ in
            guard let record = state.withLock({ $0.remove(id) }) else { return false }
            emit([deleteEvent(record)])
            return true
        }
    }

    /// Adds instances (or replaces those with the same id), and queues the Stream events the changes produce.
    /// - Parameter records: The instances.
    public func insert(_ records: [InstanceRecord]) {
        emission.withLock { _ in
            let events = state.withLock { state -> [StreamEvent] in
                let changes = records.flatMap { streamEvents(from: state.record($0.instanceId), to: $0) }
                state.upsert(records)
                return changes
            }
            emit(events)
        }
    }

    /// The organisation the contacts and login APIs describe.
    public var organisation: EmulatedOrganisation { state.withLock { $0.organisation } }

    /// The faults injected now: ``EmulatorOptions/faults`` until ``setFaults(_:)`` changes them.
    public var faults: FaultPlan { state.withLock { $0.faults } }

    /// Changes the injected faults while serving, e.g. to let a running sync slow down or start failing and then
    /// recover. Requests already being answered keep the plan they started with.
    /// - Parameter plan: The new faults; `FaultPlan()` for none.
    /// - Throws: ``EmulatorError`` when a period is below 1.
    public func setFaults(_ plan: FaultPlan) throws(EmulatorError) {
        try plan.validate()
        state.withLock { $0.faults = plan }
    }

    /// Revokes the current access token, as if it had expired; the next token request mints a new one.
    public func expireToken() {
        state.withLock { state in
            if let token = state.token { state.retiredTokens.insert(token) }
            state.token = nil
        }
    }

    // MARK: - Serving

    /// Answers one HTTP request.
    /// - Parameter request: The request as the server parsed it.
    /// - Returns: The response, possibly a fault.
    public func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        if let inspection = inspect(request) { return inspection }
        let route = EmulatorRoute(path: request.path)
        let arrival = DispatchTime.now().uptimeNanoseconds
        let (serial, faults) = state.withLock { state -> (Int, FaultPlan) in
            state.statistics.requests += 1
            state.statistics.requestsPerAPI[route.api, default: 0] += 1
            state.statistics.arrivals[route.api, default: []].append(arrival)
            return (state.statistics.requests, state.faults)
        }
        if let every = faults.slowEvery, serial % every == 0 {
            noteFault("slow")
            usleep(useconds_t(max(0, faults.slowMilliseconds)) * 1000)
        }
        if let every = faults.failEvery, serial % every == 0 {
            return failure(route, variant: noteFault("fail"))
        }
        if let every = faults.garbageEvery, serial % every == 0 {
            return garbage(route, request: request, variant: noteFault("garbage"))
        }
        if let every = faults.throttleEvery, serial % every == 0 {
            return throttled(route, variant: noteFault("throttle"))
        }
        if let every = faults.oversizeEvery, serial % every == 0 {
            return oversized(bytes: faults.oversizeBytes, variant: noteFault("oversize"))
        }
        return handleWithoutFaults(route, request: request)
    }

    /// The normal answer, after the injected faults: route, method, QPS limit, token, quota, then the API itself.
    func handleWithoutFaults(_ route: EmulatorRoute, request: HTTPServerRequest) -> HTTPServerResponse {
        switch route {
        case .notFound:
            return HTTPServerResponse(status: 404, body: Array("not found\n".utf8))
        case .unknownLegacy(let path):
            let name = "dingtalk.oapi." + path.dropFirst("/topapi/".count).replacingOccurrences(of: "/", with: ".")
            return legacyError(22, "Invalid method[submsg=不合法ApiName, ApiName = \(name)]")
        case .unknownV1:
            return v1Error(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method."
            )
        default:
            break
        }
        if request.method != route.method {
            return route.isLegacy
                ? legacyError(route.method == "POST" ? 43002 : 43001, "需要\(route.method)请求")
                : v1Error(405, "MethodNotAllowed", "The method \(request.method) is not allowed for this API")
        }
        if !admit(route.api) {
            state.withLock { $0.statistics.qpsRejections += 1 }
            return throttled(route, variant: 0)
        }
        if route.needsToken, let refusal = authenticate(route, request: request) {
            return refusal
        }
        if route.countsAgainstQuota, let refusal = checkQuota(route) {
            return refusal
        }
        let response: HTTPServerResponse
        switch route {
        case .legacyToken: response = legacyToken(request)
        case .v1Token: response = v1Token(request)
        case .legacyList: response = legacyList(request)
        case .v1List: response = v1List(request)
        case .legacyDetail: response = legacyDetail(request)
        case .v1Detail: response = v1Detail(request)
        case .user: response = user(request)
        case .department: response = department(request)
        case .robotSend: response = robotSend(request)
        case .workNotification: response = workNotification(request)
        case .loginPage: response = loginPage(request)
        case .userAccessToken: response = userAccessToken(request)
        case .currentUser: response = currentUser(request)
        case .userIdByUnionId: response = userIdByUnionId(request)
        case .subDepartments: response = subDepartments(request)
        case .streamOpen: response = openStreamConnection(request)
        case .unknownLegacy, .unknownV1, .notFound: response = HTTPServerResponse(status: 404)
        }
        if route.countsAgainstQuota && Self.isSuccess(response, legacy: route.isLegacy) {
            let month = monthKey()
            state.withLock { state in
                state.quota[month, default: 0] += 1
                state.statistics.quotaCalls += 1
                state.statistics.quotaCallsPerMonth[month, default: 0] += 1
            }
        }
        return response
    }

    // MARK: - Limits

    /// Admits a call under the per-API QPS limit (calls accepted in the last second).
    private func admit(_ api: String) -> Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        return state.withLock { state in
            var log = state.accepted[api] ?? []
            log.removeAll { now &- $0 >= 1_000_000_000 }
            guard log.count < options.qps else {
                state.accepted[api] = log
                return false
            }
            log.append(now)
            state.accepted[api] = log
            return true
        }
    }

    /// Checks the access token; `nil` when it is valid.
    private func authenticate(_ route: EmulatorRoute, request: HTTPServerRequest) -> HTTPServerResponse? {
        let given = route.isLegacy ? request.query["access_token"] : request.headers["x-acs-dingtalk-access-token"]
        guard let given, !given.isEmpty else {
            return route.isLegacy
                ? legacyError(
                    88,
                    "ding talk error[subcode=40000,submsg=access_token is blank]",
                    sub: ("40000", "access_token is blank")
                )
                : v1Error(400, "AuthenticationFailed.MissingParameter", "缺少参数：x-acs-dingtalk-access-token")
        }
        let now = DispatchTime.now().uptimeNanoseconds
        enum Verdict { case valid, expired, invalid }
        let verdict = state.withLock { state -> Verdict in
            state.authenticatedCalls += 1
            if let every = options.faults.expireTokenEvery, state.authenticatedCalls % every == 0,
                let token = state.token
            {
                state.retiredTokens.insert(token)
                state.token = nil
                state.statistics.faults["expire", default: 0] += 1
            }
            if let token = state.token, now >= state.tokenExpiry {
                state.retiredTokens.insert(token)
                state.token = nil
            }
            if given == state.token { return .valid }
            return state.retiredTokens.contains(given) ? .expired : .invalid
        }
        switch verdict {
        case .valid:
            return nil
        case .expired:
            return route.isLegacy
                ? legacyError(
                    88,
                    "ding talk error[subcode=42001,submsg=access_token超时]",
                    sub: ("42001", "access_token超时")
                )
                : v1Error(400, "InvalidAuthentication", "不合法的access_token")
        case .invalid:
            return route.isLegacy
                ? legacyError(
                    88,
                    "ding talk error[subcode=40014,submsg=不合法的access_token]",
                    sub: ("40014", "不合法的access_token")
                )
                : v1Error(400, "InvalidAuthentication", "不合法的access_token")
        }
    }

    /// Refuses the call when the organisation's monthly quota is used up; `nil` otherwise.
    private func checkQuota(_ route: EmulatorRoute) -> HTTPServerResponse? {
        guard let limit = options.monthlyQuota else { return nil }
        let month = monthKey()
        let used = state.withLock { $0.quota[month] ?? 0 }
        guard used >= limit else { return nil }
        return route.isLegacy
            ? legacyError(90020, "您的企业调用钉钉开放平台接口的月调用量已超过限额，请购买调用量扩展包")
            : v1Error(403, "Forbidden.AccessDenied.ApiCountLimitForOrg", "企业月调用量已超过限额")
    }

    /// The month of the emulated clock, `YYYY-MM` in Beijing time.
    func monthKey() -> String {
        renderer.beijing.date(at: clock.now() / 1000).monthText
    }

    private static func isSuccess(_ response: HTTPServerResponse, legacy: Bool) -> Bool {
        guard response.status == 200 else { return false }
        guard legacy else { return true }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            return false
        }
        return (object["errcode"] as? NSNumber)?.intValue == 0
    }

    // MARK: - Tokens

    /// Returns the current token (renewing it) or mints a new one.
    private func issueToken() -> String {
        let now = DispatchTime.now().uptimeNanoseconds
        let lifetime = UInt64(options.tokenLifetimeSeconds) * 1_000_000_000
        return state.withLock { state in
            state.statistics.tokenRequests += 1
            if let token = state.token, now < state.tokenExpiry {
                state.tokenExpiry = now + lifetime
                return token
            }
            if let token = state.token { state.retiredTokens.insert(token) }
            var generator = SystemRandomNumberGenerator()
            let token = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
            state.token = token
            state.tokenExpiry = now + lifetime
            state.statistics.tokensIssued += 1
            return token
        }
    }

    private func legacyToken(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let key = request.query["appkey"], let secret = request.query["appsecret"] else {
            return legacyError(40035, "缺少参数 corpid or appkey")
        }
        guard key == options.appKey, secret == options.appSecret else {
            return legacyError(40096, "不合法的appKey或appSecret")
        }
        return .json(
            200,
            [
                "errcode": 0, "errmsg": "ok", "access_token": issueToken(),
                "expires_in": options.tokenLifetimeSeconds,
            ]
        )
    }

    private func v1Token(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.jsonObject(request.body) else {
            return v1Error(400, "MissingParameter", "body is mandatory")
        }
        guard body["appKey"] as? String == options.appKey, body["appSecret"] as? String == options.appSecret else {
            return v1Error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        }
        return .json(200, ["accessToken": issueToken(), "expireIn": options.tokenLifetimeSeconds])
    }

    // MARK: - Shapes

    func requestId() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 36)
    }

    func legacyError(
        _ code: Int,
        _ message: String,
        sub: (code: String, message: String)? = nil
    )
        -> HTTPServerResponse
    {
        var body: [String: Any] = ["errcode": code, "errmsg": message, "request_id": requestId()]
        if let sub {
            body["sub_code"] = sub.code
            body["sub_msg"] = sub.message
        }
        return .json(200, body)
    }

    func v1Error(
        _ status: Int,
        _ code: String,
        _ message: String,
        headers: [(name: String, value: String)] = []
    )
        -> HTTPServerResponse
    {
        let id = requestId().uppercased()
        return .json(
            status,
            ["code": code, "message": message, "requestid": id],
            headers: [("x-acs-request-id", id)] + headers
        )
    }

    /// Parses a JSON object body.
    static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// Parses a legacy body: JSON, or `application/x-www-form-urlencoded` as the contacts pages show.
    static func legacyParameters(_ request: HTTPServerRequest) -> [String: Any]? {
        if let object = jsonObject(request.body) { return object }
        let text = String(decoding: request.body, as: UTF8.self)
        if text.isEmpty { return [:] }
        if text.hasPrefix("{") || text.hasPrefix("[") { return nil }
        return HTTPServerRequest.decodeForm(text)
    }

    /// A whole number given as a JSON number or a numeric string.
    static func integer(_ value: Any?) -> Int64? {
        if let string = value as? String { return Int64(string.trimmingCharacters(in: .whitespaces)) }
        if let number = value as? NSNumber {
            let double = number.doubleValue
            guard double.rounded() == double, abs(double) < 9e18 else { return nil }
            return number.int64Value
        }
        return nil
    }

    /// A string given as a JSON string or number.
    static func text(_ value: Any?) -> String? {
        if let string = value as? String { return string }
        if let number = value as? NSNumber { return number.stringValue }
        return nil
    }
}
