import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A response read back from a plain HTTP/1.1 exchange with a server on 127.0.0.1.
public struct HTTPReply: Sendable {
    /// The first line, e.g. `HTTP/1.1 200 OK`.
    public var statusLine: String
    /// The status code.
    public var status: Int
    /// Header fields, names in lower case.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// A request that could not be made or a response that could not be read.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Connects, sends the request, reads until the server closes, and parses the response.
    public static func exchange(port: UInt16, request: String) throws -> HTTPReply {
        let connection = try LoopbackConnection(port: port)
        connection.send(request)
        let response = connection.readToEnd()
        guard let parsed = parse(response, readToEnd: true) else {
            throw Failure(description: "no response head in \(response.count) bytes")
        }
        return parsed.reply
    }

    /// Parses a response at the start of `bytes`.
    /// - Parameters:
    ///   - bytes: What was received.
    ///   - readToEnd: Whether `bytes` is everything the server sent before closing (then the body is the rest);
    ///     otherwise the body is `Content-Length` bytes and the response is incomplete without them.
    /// - Returns: The reply and how many bytes it took, `nil` when the head (or the body) is incomplete.
    static func parse(_ bytes: [UInt8], readToEnd: Bool) -> (reply: HTTPReply, consumed: Int)? {
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0...].starts(with: [13, 10, 13, 10]) })
        else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces
            )
        }
        var bodyEnd = bytes.count
        if !readToEnd {
            bodyEnd = end + 4 + (Int(headers["content-length"] ?? "0") ?? 0)
            guard bodyEnd <= bytes.count else { return nil }
        }
        let reply = HTTPReply(
            statusLine: head[0],
            status: status,
            headers: headers,
            body: Array(bytes[(end + 4)..<bodyEnd])
        )
        return (reply, bodyEnd)
    }
}

/// One client connection to a server on 127.0.0.1 that the test keeps open: several requests on it (keep-alive),
/// or many at once (connection limits). Reads time out after ten seconds, so a silent server fails the test
/// instead of hanging it.
public final class LoopbackConnection {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    /// Connects.
    /// - Parameters:
    ///   - port: The server's port on 127.0.0.1.
    ///   - source: The local address to connect from (any of 127.0.0.0/8), so one test can be several clients.
    /// - Throws: ``HTTPReply/Failure`` when the connection cannot be made.
    public init(port: UInt16, from source: String = "127.0.0.1") throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw HTTPReply.Failure(description: "socket failed") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            closeSocket(descriptor)
            throw HTTPReply.Failure(description: "cannot bind the client socket to \(source)")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            closeSocket(descriptor)
            throw HTTPReply.Failure(description: "connect to port \(port) failed")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    /// Sends text (e.g. a request head).
    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Sends bytes; stops quietly when the server has closed the connection.
    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                sendOnSocket(descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Reads one response (head and `Content-Length` body), leaving the connection open.
    /// - Throws: ``HTTPReply/Failure`` when the server closes or goes silent before a whole response arrived.
    public func readResponse() throws -> HTTPReply {
        while true {
            if let parsed = HTTPReply.parse(buffer, readToEnd: false) {
                buffer.removeFirst(parsed.consumed)
                return parsed.reply
            }
            guard fill() else {
                throw HTTPReply.Failure(description: "the connection ended after \(buffer.count) bytes of a response")
            }
        }
    }

    /// Whether something (bytes or the end of the stream) can be read within `seconds`, without reading it.
    public func isReadable(within seconds: Double) -> Bool {
        if !buffer.isEmpty { return true }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, Int32(seconds * 1000)) > 0
    }

    /// Whether the server has closed the connection: waits up to `seconds` for the end of the stream, dropping
    /// what arrives before it.
    public func isClosedByServer(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) >= 0 else { return false }
            guard poller.revents != 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) { return true }
        }
        return false
    }

    /// Reads until the server closes the connection (or goes silent); returns everything not read yet.
    public func readToEnd() -> [UInt8] {
        while fill() {}
        defer { buffer = [] }
        return buffer
    }

    /// Closes the connection. Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        closeSocket(descriptor)
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[0..<count]
                return true
            }
            if count < 0 && errno == EINTR { continue }
            return false
        }
    }
}

/// `close(2)`, for a type whose own `close()` hides it.
private func closeSocket(_ descriptor: Int32) {
    close(descriptor)
}

/// `send(2)` without SIGPIPE, for a type whose own `send` hides it.
private func sendOnSocket(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    send(descriptor, bytes, count, Int32(MSG_NOSIGNAL))
}
