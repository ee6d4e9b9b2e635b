import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport

/// The HTTP server of `leanstats serve`: the dashboard, the drill-down list, the query and report APIs, Prometheus
/// metrics and a health check, behind the ``HTTPEdge`` (Hummingbird on SwiftNIO) that enforces the ``EdgeLimits``.
///
/// Every request must name an allowed `Host` (against DNS rebinding). Every route except `/metrics` and `/healthz`
/// needs `Authorization: Bearer TOKEN` or a session cookie, set by a one-time `?token=TOKEN` link or, with the
/// DingTalk login on, by `/login`; sessions expire. Each authorised request carries its ``Viewer``, whose ``Scope``
/// every route applies (`docs/dashboard-login.md`). The served snapshot is swapped for a newer generation by a background reload once a sync writes one,
/// without a restart; a damaged generation is reported by `/healthz` and `/metrics` while the one before it is
/// served.
public final class DashboardServer: Sendable {
    /// The configuration.
    public let configuration: ServerConfiguration
    /// The store being served.
    public let source: SnapshotSource
    /// The request and query metrics.
    public let metrics = ServerMetrics()
    let sessions: SessionStore
    /// The DingTalk login, `nil` when it is off.
    let login: DingTalkLogin?
    private let edge = Locked<HTTPEdge?>(nil)
    private let onQueryLatency: @Sendable (_ milliseconds: Double) -> Void

    /// The name of the session cookie.
    static let cookieName = "leanstats_session"

    /// Creates the server; nothing listens until ``start()``.
    /// - Parameters:
    ///   - configuration: Where to listen and what to serve.
    ///   - onQueryLatency: Receives the latency (milliseconds) of every query the dashboard, the drill-down list
    ///     and `/api/query` run, on the request's thread (so it must return quickly); `serve` feeds it into the
    ///     `query_latency_ms` alert.
    public init(
        configuration: ServerConfiguration,
        onQueryLatency: @escaping @Sendable (_ milliseconds: Double) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.onQueryLatency = onQueryLatency
        sessions = SessionStore(lifetime: configuration.sessionLifetime, clock: configuration.now)
        login = configuration.login.map { DingTalkLogin(configuration: $0, clock: configuration.now) }
        source = SnapshotSource(
            directory: configuration.dataDirectory,
            clock: configuration.clock,
            interval: configuration.reloadInterval
        )
    }

    /// Loads the newest snapshot, binds and starts serving; the store is then watched for new generations.
    /// - Returns: The port actually bound (useful with port 0).
    /// - Throws: ``ServerError`` when the address cannot be bound.
    @discardableResult
    public func start() async throws(ServerError) -> UInt16 {
        source.startWatching()
        let http: HTTPEdge
        do {
            http = try await HTTPEdge(
                host: configuration.host,
                port: configuration.port,
                limits: configuration.limits
            ) { [self] request in
                await handle(request)
            }
        } catch {
            source.stopWatching()
            throw error
        }
        edge.withLock { $0 = http }
        return http.port
    }

    /// Stops accepting connections, closes open ones once their request is answered, and stops watching the
    /// store. Idempotent; returns at once.
    public func stop() {
        source.stopWatching()
        edge.withLock { edge -> HTTPEdge? in
            defer { edge = nil }
            return edge
        }?.stop()
    }

    /// Stops like ``stop()`` and waits until every connection has closed.
    public func stopAndWait() async {
        source.stopWatching()
        let http = edge.withLock { edge -> HTTPEdge? in
            defer { edge = nil }
            return edge
        }
        await http?.stopAndWait()
    }

    /// The bound port, 0 before ``start()``.
    public var port: UInt16 { edge.withLock { $0?.port ?? 0 } }

    /// Connections open now.
    public var openConnections: Int { edge.withLock { $0?.gate.openConnections ?? 0 } }

    // MARK: - Routing

    /// Answers one request: host check, authentication, then the route.
    public func handle(_ request: DashboardRequest) async -> DashboardResponse {
        let route = Self.routeName(request.path)
        var response = await answer(request, route: route)
        response.headers += Self.securityHeaders
        metrics.countRequest(route: route, status: response.status)
        return response
    }

    private func answer(_ request: DashboardRequest, route: String) async -> DashboardResponse {
        guard hostAllowed(request.headers["host"]) else {
            return .plain(403, "the Host header is not in server.allowed_hosts\n", close: true)
        }
        guard request.method == "GET" else {
            return .plain(405, "only GET is supported\n", headers: [("Allow", "GET")])
        }
        switch route {
        case "/healthz": return health()
        case "/metrics": return metricsResponse()
        case "/login": return startLogin()
        case "/auth/dingtalk": return await finishLogin(request)
        case "/logout": return logout(request)
        default: break
        }
        if let token = request.query["token"] {
            guard Self.constantTimeEqual(token, configuration.token) else { return unauthorized(route) }
            return startSession(request)
        }
        guard let viewer = viewer(of: request) else { return unauthorized(route) }
        guard let snapshot = source.current() else {
            return .plain(503, "the store holds no snapshot yet; run `leanstats sync` or `leanstats import`\n")
        }
        let authorised = AuthorisedRequest(request: request, viewer: viewer)
        switch route {
        case "/": return dashboard(authorised, snapshot)
        case "/list": return list(authorised, snapshot)
        case "/person": return person(authorised, snapshot)
        case "/api/query": return query(authorised, snapshot)
        case "/api/report": return report(authorised, snapshot)
        default: return .plain(404, "not found\n")
        }
    }

    /// The fixed route name of a path, for metrics labels (never the raw path).
    static func routeName(_ path: String) -> String {
        switch path {
        case "/", "/index.html": "/"
        case "/list", "/person", "/api/query", "/api/report", "/metrics", "/healthz", "/login", "/auth/dingtalk",
            "/logout":
            path
        default: "other"
        }
    }

    // MARK: - Access

    private func hostAllowed(_ header: String?) -> Bool {
        guard let header, !header.isEmpty else { return false }
        var name = header.lowercased()
        if name.hasPrefix("[") {
            if let end = name.firstIndex(of: "]") { name = String(name[...end]) }
        } else if let colon = name.lastIndex(of: ":") {
            name = String(name[..<colon])
        }
        return configuration.allowedHosts.contains(name)
    }

    /// The viewer of a request: the bearer token's (everything), or the session's; `nil` when neither is valid.
    private func viewer(of request: DashboardRequest) -> Viewer? {
        if let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("bearer ") {
            let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
            return Self.constantTimeEqual(token, configuration.token) ? .token : nil
        }
        if let session = Self.cookie(Self.cookieName, in: request.headers["cookie"]) {
            return sessions.viewer(session)
        }
        return nil
    }

    /// Sets a session cookie for a browser that presented the token in the URL, and redirects to the same page
    /// without the token, so it stays out of history and logs.
    ///
    /// The redirect names only a known route's own path (an unknown one goes to `/`) with the query re-encoded, so
    /// nothing the client sent can reach the `Location` header as written: no other host, no header break.
    private func startSession(_ request: DashboardRequest) -> DashboardResponse {
        let session = sessions.open()
        var query = request.query
        query["token"] = nil
        let route = Self.routeName(request.path)
        let location = HTML.target(
            route == "other" ? "/" : route,
            query.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        )
        return DashboardResponse(
            status: 303,
            headers: [
                ("Location", location),
                (
                    "Set-Cookie",
                    "\(Self.cookieName)=\(session); Path=/; Max-Age=\(Int(configuration.sessionLifetime)); HttpOnly; "
                        + "SameSite=Strict"
                ),
            ]
        )
    }

    private func unauthorized(_ route: String) -> DashboardResponse {
        if login != nil, route == "/" || route == "/list" {
            return DashboardResponse(status: 303, headers: [("Location", "/login")])
        }
        return .plain(
            401,
            "authentication required: send Authorization: Bearer <server.token>, or open /?token=<server.token> once"
                + (login == nil ? "" : ", or sign in with DingTalk at /login") + "\n",
            headers: [("WWW-Authenticate", "Bearer realm=\"leanstats\"")]
        )
    }

    // MARK: - Routes

    /// `ok` (200) while the newest generation is served; `damaged` (503) with the damaged generation and the
    /// reader's error while an older one is served instead (or none could be).
    private func health() -> DashboardResponse {
        let served = source.current()?.generation ?? 0
        guard let damage = source.damage else { return .json(200, ["status": "ok", "generation": served]) }
        return .json(
            503,
            [
                "status": "damaged", "generation": served, "damaged_generation": damage.generation,
                "error": damage.message,
                "fix":
                    "run `leanstats snapshot verify`; then restore the file from a backup, remove it, or run "
                    + "`leanstats sync --full` to write a new generation",
            ]
        )
    }

    private func metricsResponse() -> DashboardResponse {
        var text = PrometheusText()
        StoreMetrics.render(
            source.current(),
            budget: configuration.monthlyCallBudget,
            pushBudget: configuration.monthlyPushBudget,
            clock: configuration.clock,
            into: &text
        )
        StoreMetrics.renderDamage(source.damage, loadFailures: source.loadFailures, into: &text)
        metrics.render(into: &text)
        return DashboardResponse(
            status: 200,
            headers: [("Content-Type", PrometheusText.contentType)],
            body: Array(text.text.utf8)
        )
    }

    private func dashboard(_ request: AuthorisedRequest, _ snapshot: ServedSnapshot) -> DashboardResponse {
        let scope = request.viewer.scope
        if let dept = request.parameter("dept"), !scope.permits(dept: dept) {
            let refusal: ScopeRefusal = scope.showsDetail ? .otherDepartment : .companyTotalsOnly("a department")
            return Self.html(403, Page.message(title: "无权查看", refusal.chinese))
        }
        if scope != .everything, let dept = request.parameter("dept"), !snapshot.departments.contains(dept) {
            // Not the report's error, which lists the store's other departments.
            return Self.html(404, Page.message(title: "没有数据", "该部门在数据中没有提案。"))
        }
        do {
            let page = try timed { () throws(ReportError) in
                try DashboardPage(
                    snapshot: snapshot,
                    period: request.parameter("period"),
                    dept: request.parameter("dept"),
                    viewer: request.viewer,
                    loginEnabled: login != nil
                )
            }
            return Self.html(200, page.render())
        } catch {
            return Self.html(400, Page.message(title: "无法显示看板", "\(error)"))
        }
    }

    private func list(_ request: AuthorisedRequest, _ snapshot: ServedSnapshot) -> DashboardResponse {
        let scope = request.viewer.scope
        let dept = request.parameter("dept")
        if let dept, !scope.permits(dept: dept), scope.showsDetail {
            return Self.html(403, Page.message(title: "无权查看", ScopeRefusal.otherDepartment.chinese))
        }
        let period = request.parameter("period") ?? snapshot.months.first ?? "all"
        let line = ListPage.query(
            period: period,
            dept: dept,
            category: request.parameter("category"),
            status: request.parameter("status")
        )
        do {
            let query = try Query(parsing: line)
            let allowed: Query
            switch scope.authorise(query) {
            case .success(let narrowed): allowed = narrowed
            case .failure(let refusal): return Self.html(403, Page.message(title: "无权查看", refusal.chinese))
            }
            let table = try timed { () throws(QueryError) in try snapshot.executor.run(allowed) }
            let caption = [period, dept, request.parameter("category"), request.parameter("status")]
                .compactMap { $0 }.joined(separator: " · ")
            return Self.html(200, ListPage.render(table: table, line: line, caption: caption))
        } catch {
            return Self.html(400, Page.message(title: "查询有误", error.rendered(line: line)))
        }
    }

    /// `/person?user=ID&period=…`: one proposer's figures, months and proposals, within the viewer's scope.
    private func person(_ request: AuthorisedRequest, _ snapshot: ServedSnapshot) -> DashboardResponse {
        guard let user = request.parameter("user"), !user.isEmpty else {
            return Self.html(400, Page.message(title: "缺少提案人", "请在地址中给出 user=用户ID。"))
        }
        let period = request.parameter("period") ?? "all"
        let scope = request.viewer.scope
        let lines = PersonPage.lines(user: user, period: period)
        do {
            var answers: [ResultTable] = []
            for line in [lines.summary, lines.months, lines.list] {
                switch scope.authorise(try Query(parsing: line)) {
                case .success(let allowed):
                    try scope.validate(line, with: snapshot.executor)
                    answers.append(try timed { () throws(QueryError) in try snapshot.executor.run(allowed) })
                case .failure(let refusal):
                    return Self.html(403, Page.message(title: "无权查看", refusal.chinese))
                }
            }
            guard !answers[0].rows.isEmpty else {
                // Also what a head sees for someone outside his departments: nothing about them.
                return Self.html(404, Page.message(title: "没有数据", "该提案人在此期间没有您可查看的提案。"))
            }
            return Self.html(
                200,
                PersonPage.render(summary: answers[0], months: answers[1], list: answers[2], period: period)
            )
        } catch {
            return Self.html(400, Page.message(title: "查询有误", error.rendered(line: lines.summary)))
        }
    }

    private func query(_ request: AuthorisedRequest, _ snapshot: ServedSnapshot) -> DashboardResponse {
        guard let line = request.parameter("q"), !line.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .json(400, ["error": "missing the query: pass it as ?q=LINE", "column": 0, "word": ""])
        }
        let scope = request.viewer.scope
        do {
            let allowed: Query
            switch scope.authorise(try Query(parsing: line)) {
            case .success(let narrowed): allowed = narrowed
            case .failure(let refusal): return .json(403, ["error": refusal.description])
            }
            try scope.validate(line, with: snapshot.executor)
            let table = try timed { () throws(QueryError) in try snapshot.executor.run(allowed) }
            return DashboardResponse(
                status: 200,
                headers: [("Content-Type", "application/json;charset=utf-8")]
                    + table.warnings.map { ("X-LeanStats-Warning", $0) },
                body: Array(JSONFormatter().render(table).utf8)
            )
        } catch {
            var object: [String: Any] = [
                "error": error.description, "message": error.message, "column": error.column, "word": error.word,
                "code": error.code.rawValue,
            ]
            if let suggestion = error.suggestion { object["suggestion"] = suggestion }
            if let hint = error.hint { object["hint"] = hint }
            return .json(400, object)
        }
    }

    private func report(_ request: AuthorisedRequest, _ snapshot: ServedSnapshot) -> DashboardResponse {
        let clock = snapshot.engine.clock
        let scope = request.viewer.scope
        let periodText = request.parameter("period") ?? snapshot.months.first ?? ""
        let dept = request.parameter("dept")
        guard scope.showsDetail else {
            return .json(403, ["error": ScopeRefusal.companyTotalsOnly("the Excel report").description])
        }
        if let dept, !scope.permits(dept: dept) {
            return .json(403, ["error": ScopeRefusal.otherDepartment.description])
        }
        if scope != .everything, let dept, !snapshot.departments.contains(dept) {
            return .json(404, ["error": "no instance in the store has that department"])
        }
        let directory = FileManager.default.temporaryDirectory.path + "/leanstats-report-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let period = try ReportPeriod(parsing: periodText, today: CivilDate.today(in: clock))
            var reportRequest = try ReportRequest(
                period: period,
                deptName: dept,
                topCount: ReportRequest.defaultTopCount
            )
            reportRequest.deptScope = scope.departmentNames
            let content = try ReportContent(engine: snapshot.engine, request: reportRequest)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/report.xlsx"
            try ReportWriter().write(content, to: path)
            guard let data = FileManager.default.contents(atPath: path) else {
                return .plain(500, "the report could not be read back\n")
            }
            let name = "精益提案报表-\(period)" + (reportRequest.scopeName.map { "-" + $0 } ?? "") + ".xlsx"
            return DashboardResponse(
                status: 200,
                headers: [
                    ("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                    (
                        "Content-Disposition",
                        "attachment; filename=\"leanstats-report-\(period).xlsx\"; filename*=UTF-8''"
                            + HTML.urlEncode(name)
                    ),
                ],
                body: Array(data)
            )
        } catch let error as ReportError {
            return .json(400, ["error": "\(error)"])
        } catch {
            return .json(500, ["error": "\(error)"])
        }
    }

    /// Runs a query (or the statistics of a dashboard page), records its duration in the histogram and passes it
    /// to the latency observer.
    private func timed<T, Failure: Error>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            metrics.observeQuery(seconds: seconds)
            onQueryLatency(seconds * 1000)
        }
        return try body()
    }

    // MARK: - Helpers

    /// Headers on every response: no sniffing, no framing, nothing from elsewhere, no caching of data.
    static let securityHeaders: [(name: String, value: String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; "
                + "form-action 'self'; frame-ancestors 'none'"
        ),
    ]

    static func html(_ status: Int, _ body: String) -> DashboardResponse {
        DashboardResponse(
            status: status,
            headers: [("Content-Type", "text/html;charset=utf-8")],
            body: Array(body.utf8)
        )
    }

    /// Compares two secrets in time independent of where they differ.
    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard !b.isEmpty else { return false }
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<b.count { difference |= (index < a.count ? a[index] : 0) ^ b[index] }
        return difference == 0
    }

    /// A cookie's value from a `Cookie` header.
    static func cookie(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                return pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
