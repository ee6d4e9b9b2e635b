import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read that failed, with the C library's reason.
struct ReadFailure: Error, CustomStringConvertible {
    /// The `errno` of the failed call.
    let code: Int32

    /// The reason, e.g. `Is a directory`.
    var description: String { String(cString: strerror(code)) }
}

/// Reads a file descriptor one line at a time with `read(2)`, handing each line over as soon as it is complete.
///
/// Lines end with LF; a CR before it is dropped (files saved on Windows), as is a UTF-8 byte order mark at the very
/// start (files saved by Notepad). Bytes that are not UTF-8 become U+FFFD. Unlike `readLine()`, a read error is
/// reported instead of looking like the end of the input.
struct LineReader {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var atEnd = false
    private var isFirstLine = true

    /// A reader of an open file descriptor, which the caller keeps and closes.
    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The next line without its line ending, or `nil` at the end of the input.
    /// - Throws: ``ReadFailure`` when `read(2)` fails (other than being interrupted by a signal).
    /// - Complexity: amortised O(length of the line).
    mutating func next() throws -> String? {
        while true {
            if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                defer {
                    start = newline + 1
                    scanned = start
                }
                return decode(buffer[start..<newline])
            }
            scanned = buffer.count
            if atEnd {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return decode(buffer[start...])
            }
            try fill()
        }
    }

    /// Reads the next chunk, first dropping the lines already returned.
    private mutating func fill() throws {
        if start > 0 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        let chunkSize = 64 * 1024
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunkSize))
        var failure: Int32 = 0
        let count = buffer.withUnsafeMutableBytes { bytes in
            let count = read(descriptor, bytes.baseAddress! + old, chunkSize)
            if count < 0 { failure = errno }
            return count
        }
        buffer.removeLast(chunkSize - max(count, 0))
        if count == 0 { atEnd = true }
        if count < 0 && failure != EINTR { throw ReadFailure(code: failure) }
    }

    private mutating func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var bytes = bytes
        if isFirstLine {
            isFirstLine = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
