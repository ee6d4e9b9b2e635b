/// An emulator listening on loopback: the ``DingTalkEmulator`` behind an ``HTTPServer``.
public final class EmulatorServer: Sendable {
    /// The emulator answering the requests.
    public let emulator: DingTalkEmulator
    private let server: HTTPServer
    private let gateway: StreamGateway

    /// Starts serving on `127.0.0.1`.
    /// - Parameters:
    ///   - emulator: The emulator.
    ///   - port: The port, or 0 for a free one.
    ///   - streamPort: The Stream gateway's WebSocket port, or 0 for a free one; `connections/open` names it.
    /// - Throws: ``EmulatorError`` when the port cannot be bound.
    public init(emulator: DingTalkEmulator, port: UInt16 = 0, streamPort: UInt16 = 0) throws(EmulatorError) {
        self.emulator = emulator
        // Room for a sync at the highest sync.concurrency (64) plus its idle keep-alive connections, so the limit
        // never adds 503 answers the fault plan did not ask for.
        self.server = try HTTPServer(port: port, maximumConnections: 256) { request in emulator.handle(request) }
        server.start()
        self.gateway = StreamGateway(hub: emulator.streamHub, port: streamPort)
    }

    /// The base URL of both API families, e.g. `http://127.0.0.1:8123`.
    public var baseURL: String { server.baseURL }

    /// The Stream gateway's WebSocket endpoint, `ws://127.0.0.1:<port>/connect`, once it listens (waits up to 5 s);
    /// `nil` when it could not start.
    public var streamEndpoint: String? { emulator.streamHub.endpoint() }

    /// The port.
    public var port: UInt16 { server.port }

    /// Stops serving and closes all connections. Idempotent.
    public func stop() {
        gateway.stop()
        server.stop()
    }
}
