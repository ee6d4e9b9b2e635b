import Foundation
import LeanStatsCore

/// The production ``HTTPTransport``: libcurl, with connection reuse, a per-request timeout, TLS verification and
/// gzip, and a limit on the size of each response.
///
/// Each request borrows an easy handle from a pool (so connections stay open between requests) and runs
/// `curl_easy_perform` on a thread of its own, never on Swift's cooperative pool, whose few threads must not
/// block.
public final class CurlTransport: HTTPTransport {
    private let timeoutMilliseconds: Int
    private let maximumResponseBytes: Int
    private let pool = Locked(Pool())

    private struct Pool {
        var idle: [CurlEasyHandle] = []
        var closed = false
    }

    /// The default limit on one response body: 16 MiB. DingTalk's answers are a few kilobytes (a listing page, one
    /// instance's detail), so only a misbehaving server comes near it.
    public static let defaultMaximumResponseBytes = 16 << 20

    /// Creates a transport.
    /// - Parameters:
    ///   - timeoutSeconds: The time limit of each request (`sync.timeout_s`).
    ///   - maximumResponseBytes: The most body bytes one response may have after content decoding
    ///     (`sync.max_response_mib`); a larger one fails with ``TransportError/Kind/tooLarge``.
    public init(timeoutSeconds: Double, maximumResponseBytes: Int = CurlTransport.defaultMaximumResponseBytes) {
        self.timeoutMilliseconds = max(1, Int((timeoutSeconds * 1000).rounded()))
        self.maximumResponseBytes = max(1, maximumResponseBytes)
    }

    deinit {
        close()
    }

    /// Closes every idle handle and its connections; requests after this fail. Idempotent.
    public func close() {
        let handles = pool.withLock { pool -> [CurlEasyHandle] in
            pool.closed = true
            defer { pool.idle = [] }
            return pool.idle
        }
        for handle in handles { handle.close() }
    }

    /// Sends one request.
    /// - Parameter request: The request.
    /// - Returns: The response.
    /// - Throws: ``TransportError`` when the transfer failed or timed out, or the response is too large.
    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let handle = try borrow()
        let timeout = timeoutMilliseconds
        let limit = maximumResponseBytes
        typealias Outcome = Result<HTTPResponse, TransportError>
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let thread = Thread {
                let outcome = handle.perform(request, timeoutMilliseconds: timeout, maximumBytes: limit)
                continuation.resume(returning: outcome)
            }
            thread.name = "leanstats-http"
            thread.start()
        }
        giveBack(handle)
        return try result.get()
    }

    private func borrow() throws(TransportError) -> CurlEasyHandle {
        let (closed, reused) = pool.withLock { pool in (pool.closed, pool.idle.popLast()) }
        if closed { throw TransportError(.other, "the HTTP transport is closed") }
        if let reused { return reused }
        return try CurlEasyHandle()
    }

    private func giveBack(_ handle: CurlEasyHandle) {
        let keep = pool.withLock { pool -> Bool in
            guard !pool.closed, pool.idle.count < 32 else { return false }
            pool.idle.append(handle)
            return true
        }
        if !keep { handle.close() }
    }
}
