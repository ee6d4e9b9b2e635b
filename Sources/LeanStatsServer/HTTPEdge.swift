import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LeanStatsCore
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP/1.1 listener of `leanstats serve`, on Hummingbird and SwiftNIO: it parses requests strictly (a
/// malformed head, a duplicate or signed `Content-Length` is answered 400 and the connection closed), enforces the
/// ``EdgeLimits``, and hands each request to the dashboard's routes. Its tasks run on threads of its own
/// (``DedicatedThreadExecutor``), never on an event loop or the shared cooperative pool.
final class HTTPEdge: Sendable {
    /// Answers one request, synchronously, on a worker thread.
    typealias Handler = @Sendable (DashboardRequest) async -> DashboardResponse

    /// The limits enforced for every connection.
    let limits: EdgeLimits
    /// Connections open now, per client address and in all.
    let gate: ConnectionGate
    private let group: ServiceGroup
    private let running: Task<Void, Never>
    /// The bound port.
    let port: UInt16

    /// Binds and starts serving.
    /// - Parameters:
    ///   - host: The IPv4 or IPv6 address to bind.
    ///   - port: The port, 0 for a free one.
    ///   - limits: The per-connection limits.
    ///   - handler: Answers requests.
    /// - Throws: ``ServerError`` when the address cannot be bound.
    init(host: String, port: UInt16, limits: EdgeLimits, handler: @escaping Handler) async throws(ServerError) {
        self.limits = limits
        let gate = ConnectionGate(total: limits.maximumConnections, perClient: limits.maximumConnectionsPerClient)
        self.gate = gate
        var logger = Logger(label: "leanstats.http") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .error
        let responder = CallbackResponder { (request: Request, _: BasicRequestContext) in
            await Self.respond(to: request, limits: limits, with: handler)
        }
        let channel = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadlineHandler(limits: limits)],
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maximumHeaderBytes,
                maxHeaderListSize: limits.maximumHeaderBytes,
                maxHeaderFieldCount: 100
            )
        )
        let bound = BindSignal()
        let application = Application(
            responder: responder,
            server: HTTPServerBuilder { responder in
                GuardedHTTPChannel(inner: HTTP1Channel(responder: responder, configuration: channel), gate: gate)
            },
            configuration: ApplicationConfiguration(address: .hostname(host, port: Int(port)), serverName: nil),
            onServerRunning: { channel in bound.resolve(.success(UInt16(channel.localAddress?.port ?? 0))) },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [application],
                gracefulShutdownSignals: [],
                logger: logger
            )
        )
        self.group = group
        running = Task(executorPreference: Self.executor) {
            do {
                try await group.run()
                bound.resolve(.failure(ServerError(.bind, "the server stopped before it was listening")))
            } catch {
                bound.resolve(
                    .failure(
                        ServerError(
                            .bind,
                            "cannot listen on \(host):\(port): \(error); choose another server.port or --port, or stop "
                                + "the process using it"
                        )
                    )
                )
            }
        }
        do {
            self.port = try await bound.value()
        } catch {
            running.cancel()
            throw error
        }
    }

    /// The threads that run every edge's connections and route handlers.
    private static let executor = DedicatedThreadExecutor(threads: 8, name: "leanstats-http")

    /// Starts a graceful shutdown: no new connections, open ones close once their request is answered.
    func stop() {
        let group = group
        Task { await group.triggerGracefulShutdown() }
    }

    /// Shuts down and waits until every connection has closed.
    func stopAndWait() async {
        await group.triggerGracefulShutdown()
        await running.value
    }

    /// Turns a Hummingbird request into a dashboard request, refuses what the limits forbid, and runs the handler
    /// (on the edge's own threads).
    private static func respond(to request: Request, limits: EdgeLimits, with handler: Handler) async -> Response {
        var headers: [String: String] = [:]
        // The HTTP/1 codec moves the first Host field into the authority; any left among the fields is a second one.
        var hostCount = 0
        if let authority = request.head.authority {
            headers["host"] = authority
            hostCount = 1
        }
        for field in request.headers {
            let name = field.name.canonicalName
            if name == "host" { hostCount += 1 }
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        let announced = Int(headers["content-length"] ?? "0") ?? 0
        let hasBody = announced > 0 || headers["transfer-encoding"] != nil
        let answer: DashboardResponse
        if hostCount > 1 {
            answer = .plain(400, "the request has more than one Host header\n", close: true)
        } else if announced > limits.maximumBodyBytes {
            answer = .plain(
                413,
                "the request body of \(announced) bytes is larger than the limit of \(limits.maximumBodyBytes) bytes\n",
                close: true
            )
        } else {
            let dashboardRequest = DashboardRequest(
                method: request.method.rawValue,
                target: request.head.path ?? "/",
                headers: headers
            )
            answer = await handler(dashboardRequest)
        }
        var fields = HTTPFields()
        for header in answer.headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            fields.append(HTTPField(name: name, value: header.value))
        }
        // A body the routes did not read is not drained: the connection closes instead.
        if answer.closeConnection || hasBody { fields[.connection] = "close" }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }
}

/// The limits the HTTP edge holds every connection to, against slow, greedy or hostile clients.
public struct EdgeLimits: Sendable {
    /// Seconds a connection may take to send a complete request head, counted from its opening or from the end of
    /// the previous response (so it is also the keep-alive idle time).
    public var headerTimeout: Double = 10
    /// Seconds a request may take to send its body once its head has arrived.
    public var bodyTimeout: Double = 10
    /// The largest request head, in bytes.
    public var maximumHeaderBytes = 16 << 10
    /// The largest request body accepted, in bytes; a larger `Content-Length` is answered 413 before the body is
    /// read.
    public var maximumBodyBytes = 64 << 10
    /// The most connections open at once; more are answered 503 and closed.
    public var maximumConnections = 256
    /// The most connections open at once from one client address; more are answered 503 and closed.
    public var maximumConnectionsPerClient = 32

    /// The default limits.
    public init() {}
}

/// Counts open connections per client address and in all, and says whether one more may open.
final class ConnectionGate: Sendable {
    /// Why a connection was refused, as the 503 answer tells it.
    enum Refusal: Sendable, Equatable {
        case serverFull(Int)
        case clientFull(Int)

        var message: String {
            switch self {
            case .serverFull(let limit):
                "the server is busy: all \(limit) connections are in use; try again in a moment\n"
            case .clientFull(let limit):
                "too many connections from your address (the limit is \(limit)); close some and try again\n"
            }
        }
    }

    private let total: Int
    private let perClient: Int
    private let counts = Locked(Counts())

    private struct Counts {
        var open = 0
        var byClient: [String: Int] = [:]
    }

    init(total: Int, perClient: Int) {
        self.total = max(1, total)
        self.perClient = max(1, perClient)
    }

    /// Admits one connection from `client` and counts it, or says why not.
    /// - Returns: `nil` when admitted; then ``release(_:)`` must follow when it closes.
    func admit(_ client: String) -> Refusal? {
        counts.withLock { counts in
            guard counts.open < total else { return .serverFull(total) }
            guard counts.byClient[client, default: 0] < perClient else { return .clientFull(perClient) }
            counts.open += 1
            counts.byClient[client, default: 0] += 1
            return nil
        }
    }

    /// Forgets one closed connection of `client`.
    func release(_ client: String) {
        counts.withLock { counts in
            counts.open -= 1
            let left = counts.byClient[client, default: 1] - 1
            counts.byClient[client] = left > 0 ? left : nil
        }
    }

    /// Connections open now.
    var openConnections: Int { counts.withLock { $0.open } }
}

/// Hummingbird's HTTP/1.1 child channel behind the ``ConnectionGate``: an admitted connection is served as usual;
/// a refused one is answered 503 and closed within a second, without reaching the routes.
struct GuardedHTTPChannel: ServerChildChannel {
    /// The HTTP channel and, for a refused connection, why it was refused.
    struct Value: ServerChildChannelValue {
        let inner: HTTP1Channel.Value
        let refusal: ConnectionGate.Refusal?
        var channel: any Channel { inner.channel }
    }

    let inner: HTTP1Channel
    let gate: ConnectionGate

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let client = channel.remoteAddress?.ipAddress ?? "unknown"
        let refusal = gate.admit(client)
        if refusal == nil {
            let gate = gate
            channel.closeFuture.whenComplete { _ in gate.release(client) }
        }
        return inner.setup(channel: channel, logger: logger).map { Value(inner: $0, refusal: refusal) }
    }

    func handle(value: Value, logger: Logger) async {
        guard let refusal = value.refusal else {
            await inner.handle(value: value.inner, logger: logger)
            return
        }
        let channel = value.channel
        channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        try? await value.inner.executeThenClose { inbound, outbound in
            let body = ByteBuffer(string: refusal.message)
            try await outbound.write(
                .head(
                    HTTPResponse(
                        status: .serviceUnavailable,
                        headerFields: [
                            .contentType: "text/plain;charset=utf-8", .contentLength: String(body.readableBytes),
                            .connection: "close", .retryAfter: "1",
                        ]
                    )
                )
            )
            try await outbound.write(.body(body))
            try await outbound.write(.end(nil))
            outbound.finish()
            // What the client still sends is read and dropped until it closes or the second is up, so it reads the
            // answer rather than a reset.
            for try await _ in inbound {}
        }
    }
}

/// Resolves once with the bound port or the reason binding failed.
private final class BindSignal: Sendable {
    private let state = Locked(State())

    private struct State {
        var result: Result<UInt16, ServerError>?
        var waiter: CheckedContinuation<Result<UInt16, ServerError>, Never>?
    }

    func resolve(_ result: Result<UInt16, ServerError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<UInt16, ServerError>, Never>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    func value() async throws(ServerError) -> UInt16 {
        let result = await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<UInt16, ServerError>? in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }
}
