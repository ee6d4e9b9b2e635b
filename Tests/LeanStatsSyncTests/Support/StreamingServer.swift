import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A server on 127.0.0.1 that answers every request with a fixed head and then a body that never ends: a prefix,
/// then one chunk over and over until the client hangs up. It counts the body bytes it managed to send, so a test
/// can tell how much of an endless body the client read before it gave up.
final class StreamingServer: @unchecked Sendable {
    /// The port it listens on.
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var sent = 0
    private var stopped = false

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Body bytes sent so far, over all connections.
    var bodyBytesSent: Int { lock.withLock { sent } }

    /// Starts listening.
    /// - Parameters:
    ///   - headers: Header lines after the status line (no `Content-Length`, so the body ends when the connection
    ///     does).
    ///   - prefix: The start of the body.
    ///   - chunk: Sent again and again after the prefix.
    init(headers: [String], prefix: [UInt8] = [], chunk: [UInt8]) throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard descriptor >= 0, bound == 0, listen(descriptor, 8) == 0 else {
            close(descriptor)
            throw HTTPStreamFailure(description: "cannot listen on 127.0.0.1")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = descriptor
        let head = Array(("HTTP/1.1 200 OK\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n").utf8)
        let thread = Thread { [self] in acceptLoop(head: head, prefix: prefix, chunk: chunk) }
        thread.start()
    }

    /// Stops accepting connections. Idempotent.
    ///
    /// Only shuts the listener down; the accept thread closes it once it has stopped calling `accept`, so that
    /// neither call can reach a socket of another test that got the same descriptor number.
    func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop(head: [UInt8], prefix: [UInt8], chunk: [UInt8]) {
        defer {
            lock.withLock {
                stopped = true
                close(listener)
            }
        }
        while !lock.withLock({ stopped }) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            Thread { [self] in
                serve(connection, head: head, prefix: prefix, chunk: chunk)
                close(connection)
            }.start()
        }
    }

    /// Reads the request head, then writes the head and the endless body until a write fails.
    private func serve(_ connection: Int32, head: [UInt8], prefix: [UInt8], chunk: [UInt8]) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !Self.endsHead(received) {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            received += buffer[0..<count]
        }
        guard write(head, to: connection), write(prefix, to: connection, counted: true) else { return }
        var repeated: [UInt8] = []
        while repeated.count < 64 << 10 { repeated += chunk }
        while write(repeated, to: connection, counted: true) {}
    }

    private static func endsHead(_ bytes: [UInt8]) -> Bool {
        bytes.indices.dropLast(3).contains { bytes[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }
    }

    private func write(_ bytes: [UInt8], to connection: Int32, counted: Bool = false) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                send(connection, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
            if counted { lock.withLock { sent += written } }
        }
        return true
    }
}

/// The streaming server could not start.
struct HTTPStreamFailure: Error, CustomStringConvertible {
    var description: String
}
