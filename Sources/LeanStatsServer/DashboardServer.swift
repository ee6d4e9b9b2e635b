import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsQuery
import LeanStatsReport

/// The HTTP server of `leanstats serve`: the dashboard, the drill-down list, the query and report APIs, Prometheus
/// metrics and a health check, over the project's own HTTP/1.1 server (``HTTPServer``).
///
/// Every request must name an allowed `Host` (against DNS rebinding). Every route except `/metrics` and `/healthz`
/// needs `Authorization: Bearer TOKEN` or the session cookie that a one-time `?token=TOKEN` link sets. The served
/// snapshot is swapped for a newer generation as soon as a sync writes one, without a restart.
public final class DashboardServer: Sendable {
    /// The configuration.
    public let configuration: ServerConfiguration
    /// The store being served.
    public let source: SnapshotSource
    /// The request and query metrics.
    public let metrics = ServerMetrics()
    private let sessions = Locked(Set<String>())
    private let server = Locked<HTTPServer?>(nil)
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
        source = SnapshotSource(
            directory: configuration.dataDirectory,
            clock: configuration.clock,
            interval: configuration.reloadInterval
        )
    }

    /// Binds, loads the newest snapshot and starts serving.
    /// - Returns: The port actually bound (useful with port 0).
    /// - Throws: ``EmulatorError`` when the address cannot be bound.
    @discardableResult
    public func start() throws -> UInt16 {
        _ = source.current()
        let http = try HTTPServer(
            host: configuration.host,
            port: configuration.port,
            maximumBodyBytes: configuration.maximumBodyBytes,
            maximumConnections: configuration.maximumConnections
        ) { [self] request in
            handle(request)
        }
        server.withLock { $0 = http }
        http.start()
        return http.port
    }

    /// Stops serving and closes open connections. Idempotent.
    public func stop() {
        let http = server.withLock { server -> HTTPServer? in
            defer { server = nil }
            return server
        }
        http?.stop()
    }

    /// The bound port, 0 before ``start()``.
    public var port: UInt16 { server.withLock { $0?.port ?? 0 } }

    // MARK: - Routing

    /// Answers one request: host check, authentication, then the route.
    public func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let route = Self.routeName(request.path)
        var response = answer(request, route: route)
        response.headers += Self.securityHeaders
        metrics.countRequest(route: route, status: response.status)
        return response
    }

    private func answer(_ request: HTTPServerRequest, route: String) -> HTTPServerResponse {
        guard hostAllowed(request.headers["host"]) else {
            return Self.text(403, "the Host header is not in server.allowed_hosts\n", close: true)
        }
        guard request.method == "GET" else {
            return Self.text(405, "only GET is supported\n", extra: [("Allow", "GET")])
        }
        switch route {
        case "/healthz": return health()
        case "/metrics": return metricsResponse()
        default: break
        }
        if let token = request.query["token"] {
            guard Self.constantTimeEqual(token, configuration.token) else { return unauthorized() }
            return startSession(request)
        }
        guard authenticated(request) else { return unauthorized() }
        guard let snapshot = source.current() else {
            return Self.text(503, "the store holds no snapshot yet; run `leanstats sync` or `leanstats import`\n")
        }
        switch route {
        case "/": return dashboard(request, snapshot)
        case "/list": return list(request, snapshot)
        case "/api/query": return query(request, snapshot)
        case "/api/report": return report(request, snapshot)
        default: return Self.text(404, "not found\n")
        }
    }

    /// The fixed route name of a path, for metrics labels (never the raw path).
    static func routeName(_ path: String) -> String {
        switch path {
        case "/", "/index.html": "/"
        case "/list", "/api/query", "/api/report", "/metrics", "/healthz": path
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

    private func authenticated(_ request: HTTPServerRequest) -> Bool {
        if let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("bearer ") {
            let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
            return Self.constantTimeEqual(token, configuration.token)
        }
        if let session = Self.cookie(Self.cookieName, in: request.headers["cookie"]) {
            return sessions.withLock { $0.contains(session) }
        }
        return false
    }

    /// Sets a session cookie for a browser that presented the token in the URL, and redirects to the same page
    /// without the token, so it stays out of history and logs.
    private func startSession(_ request: HTTPServerRequest) -> HTTPServerResponse {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let session = bytes.map { String(format: "%02x", $0) }.joined()
        sessions.withLock { sessions in
            if sessions.count > 10_000 { sessions.removeAll() }
            sessions.insert(session)
        }
        var query = request.query
        query["token"] = nil
        let location = HTML.link(request.path, query.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            .replacingOccurrences(of: "&amp;", with: "&")
        return HTTPServerResponse(
            status: 303,
            headers: [
                ("Location", location),
                ("Set-Cookie", "\(Self.cookieName)=\(session); Path=/; HttpOnly; SameSite=Strict"),
            ]
        )
    }

    private func unauthorized() -> HTTPServerResponse {
        Self.text(
            401,
            "authentication required: send Authorization: Bearer <server.token>, or open /?token=<server.token> once\n",
            extra: [("WWW-Authenticate", "Bearer realm=\"leanstats\"")]
        )
    }

    // MARK: - Routes

    private func health() -> HTTPServerResponse {
        let snapshot = source.current()
        return .json(200, ["status": "ok", "generation": snapshot?.generation ?? 0])
    }

    private func metricsResponse() -> HTTPServerResponse {
        var text = PrometheusText()
        StoreMetrics.render(
            source.current(),
            budget: configuration.monthlyCallBudget,
            clock: configuration.clock,
            into: &text
        )
        metrics.render(into: &text)
        return HTTPServerResponse(
            status: 200,
            headers: [("Content-Type", PrometheusText.contentType)],
            body: Array(text.text.utf8)
        )
    }

    private func dashboard(_ request: HTTPServerRequest, _ snapshot: ServedSnapshot) -> HTTPServerResponse {
        do {
            let page = try timed { () throws(ReportError) in
                try DashboardPage(snapshot: snapshot, period: request.query["period"], dept: request.query["dept"])
            }
            return Self.html(200, page.render())
        } catch {
            return Self.html(400, Page.message(title: "无法显示看板", "\(error)"))
        }
    }

    private func list(_ request: HTTPServerRequest, _ snapshot: ServedSnapshot) -> HTTPServerResponse {
        let period = request.query["period"].flatMap { $0.isEmpty ? nil : $0 } ?? snapshot.months.first ?? "all"
        let line = ListPage.query(
            period: period,
            dept: request.query["dept"],
            category: request.query["category"],
            status: request.query["status"]
        )
        do {
            let table = try timed { () throws(QueryError) in try snapshot.executor.run(line) }
            let caption = [period, request.query["dept"], request.query["category"], request.query["status"]]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " · ")
            return Self.html(200, ListPage.render(table: table, line: line, caption: caption))
        } catch {
            return Self.html(400, Page.message(title: "查询有误", error.rendered(line: line)))
        }
    }

    private func query(_ request: HTTPServerRequest, _ snapshot: ServedSnapshot) -> HTTPServerResponse {
        guard let line = request.query["q"], !line.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .json(400, ["error": "missing the query: pass it as ?q=LINE", "column": 0, "word": ""])
        }
        do {
            let table = try timed { () throws(QueryError) in try snapshot.executor.run(line) }
            return HTTPServerResponse(
                status: 200,
                headers: [("Content-Type", "application/json;charset=utf-8")],
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

    private func report(_ request: HTTPServerRequest, _ snapshot: ServedSnapshot) -> HTTPServerResponse {
        let clock = snapshot.engine.clock
        let periodText = request.query["period"].flatMap { $0.isEmpty ? nil : $0 } ?? snapshot.months.first ?? ""
        let dept = request.query["dept"].flatMap { $0.isEmpty ? nil : $0 }
        let directory = FileManager.default.temporaryDirectory.path + "/leanstats-report-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let period = try ReportPeriod(parsing: periodText, today: CivilDate.today(in: clock))
            let content = try ReportContent(
                engine: snapshot.engine,
                request: try ReportRequest(period: period, deptName: dept, topCount: ReportRequest.defaultTopCount)
            )
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/report.xlsx"
            try ReportWriter().write(content, to: path)
            guard let data = FileManager.default.contents(atPath: path) else {
                return Self.text(500, "the report could not be read back\n")
            }
            let name = "精益提案报表-\(period)" + (dept.map { "-" + $0 } ?? "") + ".xlsx"
            return HTTPServerResponse(
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

    static func text(
        _ status: Int,
        _ body: String,
        extra: [(name: String, value: String)] = [],
        close: Bool = false
    ) -> HTTPServerResponse {
        HTTPServerResponse(
            status: status,
            headers: [("Content-Type", "text/plain;charset=utf-8")] + extra,
            body: Array(body.utf8),
            closeConnection: close
        )
    }

    static func html(_ status: Int, _ body: String) -> HTTPServerResponse {
        HTTPServerResponse(
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
