import Foundation
import LeanStatsCore

#if canImport(Glibc)
import Glibc
#endif

/// A tiny plain SMTP server on 127.0.0.1 for tests: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no
/// login. It stores every accepted message, can refuse recipients and can reset its first connections.
final class TestSMTPServer: Sendable {
    /// One accepted message.
    struct Received: Sendable {
        var from: String
        var recipients: [String]
        /// The message as sent, dot-stuffing removed, CRLF line ends.
        var data: String
    }

    /// The port it listens on.
    let port: UInt16
    private let listener: Int32
    private let stored = Locked<[Received]>([])
    private let refused: Set<String>
    /// How many connections are still to be reset before the greeting.
    private let resetsLeft: Locked<Int>
    /// Whether ``stop()`` shut the listener down; the accept thread closes it under this lock.
    private let listenerState = Locked(false)

    /// Starts the server.
    /// - Parameters:
    ///   - refusing: Recipient addresses answered with `550`.
    ///   - resettingFirst: How many connections, the first ones, are reset (TCP RST) before the greeting.
    init(refusing: Set<String> = [], resettingFirst: Int = 0) throws {
        refused = refusing
        resetsLeft = Locked(resettingFirst)
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(socket, 16) == 0 else {
            close(socket)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = socket
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "test-smtp"
        thread.start()
    }

    /// The URL to configure: `smtp://127.0.0.1:PORT`.
    var url: String { "smtp://127.0.0.1:\(port)" }

    /// The messages accepted so far.
    var messages: [Received] { stored.withLock { $0 } }

    /// Stops listening. Idempotent.
    ///
    /// Only shuts the listener down; the accept thread closes it once it has stopped calling `accept`, so that
    /// neither call can reach a socket of another test that got the same descriptor number.
    func stop() {
        listenerState.withLock { stopped in
            guard !stopped else { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop() {
        defer {
            listenerState.withLock { stopped in
                stopped = true
                close(listener)
            }
        }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let resets = resetsLeft.withLock { left in
                defer { left = max(left - 1, 0) }
                return left > 0
            }
            if resets {
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(connection)
                continue
            }
            let worker = Thread { [self] in serve(connection) }
            worker.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var reader = LineReader(descriptor: connection)
        func reply(_ text: String) {
            // Every byte, even when a signal for another test interrupts the call or the kernel takes a part.
            let bytes = Array(text.utf8)
            var sent = 0
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes {
                    send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if count > 0 {
                    sent += count
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
        reply("220 test.local ESMTP LeanStats test server\r\n")
        var from = ""
        var recipients: [String] = []
        while let line = reader.next() {
            let verb = line.prefix(4).uppercased()
            switch verb {
            case "EHLO":
                reply("250-test.local greets you\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
            case "HELO":
                reply("250 test.local\r\n")
            case "MAIL":
                from = Self.angle(line)
                recipients = []
                reply("250 2.1.0 sender ok\r\n")
            case "RCPT":
                let address = Self.angle(line)
                if refused.contains(address) {
                    reply("550 5.1.1 <\(address)>: mailbox unavailable\r\n")
                } else {
                    recipients.append(address)
                    reply("250 2.1.5 recipient ok\r\n")
                }
            case "DATA":
                reply("354 end data with <CR><LF>.<CR><LF>\r\n")
                var lines: [String] = []
                while let dataLine = reader.next(), dataLine != "." {
                    lines.append(dataLine.hasPrefix(".") ? String(dataLine.dropFirst()) : dataLine)
                }
                let number = stored.withLock { messages -> Int in
                    messages.append(Received(from: from, recipients: recipients, data: lines.joined(separator: "\r\n")))
                    return messages.count
                }
                reply("250 2.0.0 OK queued as \(number)\r\n")
            case "RSET", "NOOP":
                reply("250 2.0.0 OK\r\n")
            case "QUIT":
                reply("221 2.0.0 bye\r\n")
                return
            default:
                reply("502 5.5.2 command not recognised\r\n")
            }
        }
    }

    private static func angle(_ line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line.firstIndex(of: ">"), open < close else { return "" }
        return String(line[line.index(after: open)..<close])
    }
}

/// Reads CRLF-terminated lines from a socket.
private struct LineReader {
    let descriptor: Int32
    var buffer: [UInt8] = []

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    mutating func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = recv(descriptor, &chunk, chunk.count, 0)
            // A signal meant for another test interrupts the call; it is not the end of the connection.
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return nil }
            buffer += chunk[..<count]
        }
    }
}
