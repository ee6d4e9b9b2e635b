import Foundation
import LeanStatsCore

/// The production ``HTTPTransport``: libcurl, with connection reuse, a per-request timeout, TLS verification and
/// gzip.
///
/// Each request borrows an easy handle from a pool (so connections stay open between requests) and runs
/// `curl_easy_perform` on a thread of its own, never on Swift's cooperative pool, whose few threads must not
/// block.
public final class CurlTransport: HTTPTransport {
    private let timeoutMilliseconds: Int
    private let pool = Locked(Pool())

    private struct Pool {
        var idle: [CurlEasyHandle] = []
        var closed = false
    }

    /// Creates a transport.
    /// - Parameter timeoutSeconds: The time limit of each request (`sync.timeout_s`).
    public init(timeoutSeconds: Double) {
        self.timeoutMilliseconds = max(1, Int((timeoutSeconds * 1000).rounded()))
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
    /// - Throws: ``TransportError`` when the transfer failed or timed out.
    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let handle = try borrow()
        let timeout = timeoutMilliseconds
        typealias Outcome = Result<HTTPResponse, TransportError>
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let thread = Thread {
                continuation.resume(returning: handle.perform(request, timeoutMilliseconds: timeout))
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
