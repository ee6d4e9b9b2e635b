import Foundation
import LeanStatsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small HTTP/1.1 server on POSIX sockets: one thread accepts, one thread serves each connection.
///
/// It implements what libcurl, the DingTalk emulator and the dashboard need: keep-alive, `Content-Length` request
/// and response bodies, `Expect: 100-continue`, and `Connection: close`. It is not a general web server: no chunked
/// request bodies, no pipelining beyond sequential requests on one connection, no TLS.
///
/// Two limits keep a misbehaving or hostile client from exhausting the process: a request whose `Content-Length`
/// exceeds ``maximumBodyBytes`` is answered 413 before any of its body is read, and a connection beyond
/// ``maximumConnections`` open at once is answered 503 and closed without a thread of its own. Error answers close
/// the connection gracefully (the unread request is drained for a moment), so the client reads the answer instead
/// of a reset.
public final class HTTPServer: @unchecked Sendable {
    /// Answers one request; called on the connection's thread, possibly from many threads at once.
    public typealias Handler = @Sendable (HTTPServerRequest) -> HTTPServerResponse

    /// The loopback port the server listens on.
    public let port: UInt16
    /// The host the server listens on.
    public let host: String

    /// The largest request body accepted, in bytes.
    public let maximumBodyBytes: Int
    /// The most connections served at once.
    public let maximumConnections: Int

    private let listener: Int32
    private let handler: Handler
    private let state = Locked(ServerState())

    private struct ServerState {
        var started = false
        var stopped = false
        var connections: Set<Int32> = []
        var acceptThreadDone = false
    }

    /// A refused connection being closed gracefully by the accept thread: its answer is sent, and what the client
    /// still sends is read and dropped until it closes or the deadline passes.
    private struct Lingering {
        var descriptor: Int32
        var deadline: UInt64
    }

    /// Binds and listens; call ``start()`` to begin serving.
    /// - Parameters:
    ///   - host: The IPv4 address to bind, `127.0.0.1` by default.
    ///   - port: The port, or 0 for a free one chosen by the system.
    ///   - maximumBodyBytes: The largest request body accepted (default 8 MiB).
    ///   - maximumConnections: The most connections served at once (default 64).
    ///   - handler: Answers each request.
    /// - Throws: ``EmulatorError`` when the socket cannot be created, bound or put into listening state.
    public init(
        host: String = "127.0.0.1",
        port: UInt16 = 0,
        maximumBodyBytes: Int = 8 << 20,
        maximumConnections: Int = 64,
        handler: @escaping Handler
    ) throws(EmulatorError) {
        self.host = host
        self.handler = handler
        self.maximumBodyBytes = max(0, maximumBodyBytes)
        self.maximumConnections = max(1, maximumConnections)
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else {
            throw EmulatorError(.socket, "cannot create a socket: \(String(cString: strerror(errno)))")
        }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw EmulatorError(.socket, "'\(host)' is not an IPv4 address; use 127.0.0.1")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw EmulatorError(.socket, "cannot listen on \(host):\(port): \(reason); choose another --port")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.listener = descriptor
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:8123`.
    public var baseURL: String { "http://\(host):\(port)" }

    /// Starts the accept thread and returns at once.
    public func start() {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started && !state.stopped
        }
        guard first else { return }
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "emulator-accept"
        thread.start()
    }

    /// Stops accepting, closes every open connection and waits for the accept thread to finish. Idempotent.
    public func stop() {
        // Shut the connections down under the lock that their threads close them under: a descriptor closed in
        // between could already number another socket of this process, which must not be shut down.
        let started = state.withLock { state -> Bool in
            if !state.stopped {
                for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
            }
            state.stopped = true
            return state.started
        }
        guard started else { return }
        while !state.withLock({ $0.acceptThreadDone }) { usleep(2_000) }
    }

    deinit {
        stop()
        close(listener)
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop() {
        defer { state.withLock { $0.acceptThreadDone = true } }
        var lingering: [Lingering] = []
        defer { for refused in lingering { close(refused.descriptor) } }
        while !isStopped {
            var pollers = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            pollers += lingering.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&pollers, nfds_t(pollers.count), 100)
            if !lingering.isEmpty { lingering = Self.drain(lingering, pollers: pollers.dropFirst()) }
            guard ready > 0, pollers[0].revents & Int16(POLLIN) != 0 else { continue }
            let connection = accept(listener, nil, nil)
            if connection < 0 { continue }
            let admitted = state.withLock { state -> Bool? in
                if state.stopped { return nil }
                guard state.connections.count < maximumConnections else { return false }
                state.connections.insert(connection)
                return true
            }
            switch admitted {
            case nil:
                close(connection)
                return
            case false?:
                // Refused here, without a thread: the answer fits in the socket buffer, so sending cannot block.
                refuse(connection)
                if lingering.count < 4 * maximumConnections {
                    lingering.append(Lingering(descriptor: connection, deadline: Self.uptime() + 1_000_000_000))
                } else {
                    close(connection)
                }
            case true?:
                var one: Int32 = 1
                setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                var idle = timeval(tv_sec: 60, tv_usec: 0)
                setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &idle, socklen_t(MemoryLayout<timeval>.size))
                let thread = Thread { [self] in serve(connection) }
                thread.name = "emulator-connection"
                thread.start()
            }
        }
    }

    /// Answers a connection over the limit with 503 and stops sending on it.
    private func refuse(_ connection: Int32) {
        var noDelay: Int32 = 1
        setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        let response = HTTPServerResponse(
            status: 503,
            headers: [("Content-Type", "text/plain;charset=utf-8"), ("Retry-After", "1")],
            body: Array(
                "the server is busy: all \(maximumConnections) connections are in use; try again in a moment\n".utf8
            ),
            closeConnection: true
        )
        _ = sendAll(Self.encode(response), to: connection, flags: Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        shutdown(connection, Int32(SHUT_WR))
    }

    /// Reads and drops what refused clients sent; closes those that finished or whose time is up.
    /// - Returns: The connections still lingering.
    private static func drain(_ lingering: [Lingering], pollers: ArraySlice<pollfd>) -> [Lingering] {
        let now = uptime()
        var scratch = [UInt8](repeating: 0, count: 4096)
        var remaining: [Lingering] = []
        for (refused, poller) in zip(lingering, pollers) {
            var open = now < refused.deadline
            if open && poller.revents != 0 {
                let received = scratch.withUnsafeMutableBytes {
                    recv(refused.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
                }
                open = received > 0 || (received < 0 && (errno == EAGAIN || errno == EINTR))
            }
            if open { remaining.append(refused) } else { close(refused.descriptor) }
        }
        return remaining
    }

    private static func uptime() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Serves requests on one connection until the peer closes it, an error occurs or a response asks to close.
    private func serve(_ connection: Int32) {
        defer {
            state.withLock {
                _ = $0.connections.remove(connection)
                close(connection)
            }
        }
        var reader = ConnectionReader(descriptor: connection)
        while !isStopped {
            guard let head = reader.readHead() else { return }
            guard let parsed = Self.parseHead(head) else {
                reject(400, "bad request\n", on: connection)
                return
            }
            var request = parsed.request
            if request.headers["transfer-encoding"] != nil {
                reject(
                    411,
                    "send the request body with Content-Length; chunked bodies are not supported\n",
                    on: connection
                )
                return
            }
            guard let length = Int(request.headers["content-length"] ?? "0"), length >= 0 else {
                reject(400, "the Content-Length header is not a number\n", on: connection)
                return
            }
            // Refused on the header alone: none of the body is read (nor asked for with 100 Continue).
            guard length <= maximumBodyBytes else {
                reject(
                    413,
                    "the request body of \(length) bytes is larger than the limit of \(maximumBodyBytes) bytes\n",
                    on: connection
                )
                return
            }
            if request.headers["expect"]?.lowercased() == "100-continue" {
                guard sendAll(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), to: connection) else { return }
            }
            guard let body = reader.readBody(count: length) else { return }
            request.body = body
            var response = handler(request)
            if response.resetConnection {
                // A zero linger time makes the close below send a reset instead of a FIN.
                var abort = linger(l_onoff: 1, l_linger: 0)
                setsockopt(connection, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
                return
            }
            if parsed.closeRequested { response.closeConnection = true }
            guard write(response, to: connection), !response.closeConnection else { return }
        }
    }

    /// Answers a request the server itself refuses, then closes the connection gracefully: it stops sending and
    /// reads (and drops) what the client still sends, for at most a second, so the client sees the answer rather
    /// than a connection reset.
    private func reject(_ status: Int, _ message: String, on connection: Int32) {
        let response = HTTPServerResponse(
            status: status,
            headers: [("Content-Type", "text/plain;charset=utf-8")],
            body: Array(message.utf8),
            closeConnection: true
        )
        guard write(response, to: connection) else { return }
        shutdown(connection, Int32(SHUT_WR))
        let deadline = Self.uptime() + 1_000_000_000
        var scratch = [UInt8](repeating: 0, count: 16 << 10)
        while Self.uptime() < deadline {
            var poller = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) >= 0 else { return }
            guard poller.revents != 0 else { continue }
            let received = scratch.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if received == 0 || (received < 0 && errno != EINTR) { return }
        }
    }

    private static func parseHead(_ head: [UInt8]) -> (request: HTTPServerRequest, closeRequested: Bool)? {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
        let (path, query) = HTTPServerRequest.split(target: String(requestLine[1]))
        let request = HTTPServerRequest(
            method: String(requestLine[0]),
            path: path,
            query: query,
            headers: headers
        )
        let close =
            headers["connection"]?.lowercased() == "close"
            || requestLine[2] == "HTTP/1.0"
                && headers["connection"]?.lowercased() != "keep-alive"
        return (request, close)
    }

    /// The bytes of a response: status line, headers, `Content-Length`, `Connection: close` when it closes, body.
    private static func encode(_ response: HTTPServerResponse) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(HTTPServerResponse.reason(response.status))\r\n"
        for header in response.headers { head += "\(header.name): \(header.value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\n"
        if response.closeConnection || response.truncateAfter != nil { head += "Connection: close\r\n" }
        head += "\r\n"
        return Array(head.utf8) + response.body.prefix(response.truncateAfter ?? response.body.count)
    }

    @discardableResult
    private func write(_ response: HTTPServerResponse, to connection: Int32) -> Bool {
        let sent = sendAll(Self.encode(response), to: connection)
        return sent && response.truncateAfter == nil
    }

    private func sendAll(_ bytes: [UInt8], to connection: Int32, flags: Int32 = Int32(MSG_NOSIGNAL)) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                send(connection, buffer.baseAddress! + offset, buffer.count - offset, flags)
            }
            if sent <= 0 {
                if sent < 0 && errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }
}

/// Buffered reads of request heads and bodies from one socket.
private struct ConnectionReader {
    let descriptor: Int32
    private var buffer: [UInt8] = []
    private static let maximumHead = 64 << 10

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Reads up to and including the blank line that ends a request head; `nil` when the connection ends first.
    mutating func readHead() -> [UInt8]? {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                var index = max(searchFrom, 3)
                while index < buffer.count {
                    if buffer[index] == 10, buffer[index - 1] == 13, buffer[index - 2] == 10, buffer[index - 3] == 13 {
                        let head = Array(buffer[0..<(index - 3)])
                        buffer.removeFirst(index + 1)
                        return head
                    }
                    index += 1
                }
                searchFrom = max(0, buffer.count - 3)
            }
            if buffer.count > Self.maximumHead || !fill() { return nil }
        }
    }

    /// Reads exactly `count` body bytes; `nil` when the connection ends first.
    mutating func readBody(count: Int) -> [UInt8]? {
        while buffer.count < count {
            if !fill() { return nil }
        }
        let body = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return body
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                buffer += chunk[0..<received]
                return true
            }
            if received < 0 && errno == EINTR { continue }
            return false
        }
    }
}
