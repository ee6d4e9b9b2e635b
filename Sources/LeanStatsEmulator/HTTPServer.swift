import Foundation
import LeanStatsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small HTTP/1.1 server on POSIX sockets: one thread accepts, one thread serves each connection.
///
/// It implements what libcurl and the DingTalk emulator need: keep-alive, `Content-Length` request and response
/// bodies, `Expect: 100-continue`, and `Connection: close`. It is not a general web server: no chunked request
/// bodies, no pipelining beyond sequential requests on one connection, no TLS.
public final class HTTPServer: @unchecked Sendable {
    /// Answers one request; called on the connection's thread, possibly from many threads at once.
    public typealias Handler = @Sendable (HTTPServerRequest) -> HTTPServerResponse

    /// The loopback port the server listens on.
    public let port: UInt16
    /// The host the server listens on.
    public let host: String

    private let listener: Int32
    private let handler: Handler
    private let state = Locked(ServerState())
    /// The largest request body accepted.
    private static let maximumBody = 8 << 20

    private struct ServerState {
        var started = false
        var stopped = false
        var connections: Set<Int32> = []
        var acceptThreadDone = false
    }

    /// Binds and listens; call ``start()`` to begin serving.
    /// - Parameters:
    ///   - host: The IPv4 address to bind, `127.0.0.1` by default.
    ///   - port: The port, or 0 for a free one chosen by the system.
    ///   - handler: Answers each request.
    /// - Throws: ``EmulatorError`` when the socket cannot be created, bound or put into listening state.
    public init(host: String = "127.0.0.1", port: UInt16 = 0, handler: @escaping Handler) throws(EmulatorError) {
        self.host = host
        self.handler = handler
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
        let (connections, started) = state.withLock { state -> (Set<Int32>, Bool) in
            let open = state.stopped ? [] : state.connections
            state.stopped = true
            return (open, state.started)
        }
        for connection in connections { shutdown(connection, Int32(SHUT_RDWR)) }
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
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready <= 0 { continue }
            let connection = accept(listener, nil, nil)
            if connection < 0 { continue }
            let admitted = state.withLock { state -> Bool in
                if state.stopped { return false }
                state.connections.insert(connection)
                return true
            }
            guard admitted else {
                close(connection)
                break
            }
            var one: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var idle = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &idle, socklen_t(MemoryLayout<timeval>.size))
            let thread = Thread { [self] in serve(connection) }
            thread.name = "emulator-connection"
            thread.start()
        }
    }

    /// Serves requests on one connection until the peer closes it, an error occurs or a response asks to close.
    private func serve(_ connection: Int32) {
        defer {
            state.withLock { _ = $0.connections.remove(connection) }
            close(connection)
        }
        var reader = ConnectionReader(descriptor: connection)
        while !isStopped {
            guard let head = reader.readHead() else { return }
            guard let parsed = Self.parseHead(head) else {
                write(
                    HTTPServerResponse(status: 400, body: Array("bad request\n".utf8), closeConnection: true),
                    to: connection
                )
                return
            }
            var request = parsed.request
            let length = Int(request.headers["content-length"] ?? "0") ?? -1
            if request.headers["transfer-encoding"] != nil || length < 0 || length > Self.maximumBody {
                let response = HTTPServerResponse(
                    status: 413,
                    body: Array("only Content-Length bodies up to 8 MB are supported\n".utf8),
                    closeConnection: true
                )
                write(response, to: connection)
                return
            }
            if request.headers["expect"]?.lowercased() == "100-continue" {
                guard sendAll(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), to: connection) else { return }
            }
            guard let body = reader.readBody(count: length) else { return }
            request.body = body
            var response = handler(request)
            if parsed.closeRequested { response.closeConnection = true }
            guard write(response, to: connection), !response.closeConnection else { return }
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

    @discardableResult
    private func write(_ response: HTTPServerResponse, to connection: Int32) -> Bool {
        var head = "HTTP/1.1 \(response.status) \(HTTPServerResponse.reason(response.status))\r\n"
        for header in response.headers { head += "\(header.name): \(header.value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\n"
        if response.closeConnection || response.truncateAfter != nil { head += "Connection: close\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if let cut = response.truncateAfter {
            bytes += response.body.prefix(cut)
            _ = sendAll(bytes, to: connection)
            return false
        }
        bytes += response.body
        return sendAll(bytes, to: connection)
    }

    private func sendAll(_ bytes: [UInt8], to connection: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                send(connection, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
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
