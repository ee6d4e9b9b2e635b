import CCurl
import Foundation

/// Owns one libcurl easy handle; reusing it across requests keeps its connections alive.
///
/// Used by one thread at a time (``CurlTransport`` lends it out); the error buffer lives as long as the handle, as
/// libcurl requires.
final class CurlEasyHandle: @unchecked Sendable {
    private var handle: UnsafeMutableRawPointer?
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Creates a handle.
    /// - Throws: ``TransportError`` when libcurl cannot create one (`curl_easy_init` returned NULL).
    init() throws(TransportError) {
        CurlEasyHandle.initializeLibrary
        guard let handle = curl_easy_init() else {
            throw TransportError(.other, "libcurl could not create a handle (curl_easy_init failed)")
        }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        close()
        errorBuffer.deallocate()
    }

    /// Frees the libcurl handle and closes its connections. Idempotent. The corresponding libcurl function is
    /// `curl_easy_cleanup`.
    func close() {
        if let handle { curl_easy_cleanup(handle) }
        handle = nil
    }

    /// `curl_global_init`, once per process, before the first handle.
    private static let initializeLibrary: Void = {
        _ = curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    /// Performs one request, blocking the calling thread. The corresponding libcurl function is
    /// `curl_easy_perform`.
    ///
    /// The body is counted as it arrives, after content decoding: once it would exceed `maximumBytes` the transfer
    /// is aborted, so neither a huge body nor a small compressed one that inflates without end is held in memory.
    /// A declared `Content-Length` above the limit is refused before any of the body is read
    /// (`CURLOPT_MAXFILESIZE_LARGE`).
    /// - Parameters:
    ///   - request: The request.
    ///   - timeoutMilliseconds: The whole transfer's time limit.
    ///   - maximumBytes: The most body bytes accepted, after decoding.
    /// - Returns: The response, or why there is none (``TransportError/Kind/tooLarge`` past the limit).
    func perform(
        _ request: HTTPRequest,
        timeoutMilliseconds: Int,
        maximumBytes: Int
    ) -> Result<HTTPResponse, TransportError> {
        guard let handle else { return .failure(TransportError(.other, "the HTTP handle is closed")) }
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        let sink = ResponseSink(limit: maximumBytes)
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        do {
            try setString(handle, CURLOPT_URL, request.url)
            try setLong(handle, CURLOPT_NOSIGNAL, 1)
            try setLong(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
            try setLong(handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMilliseconds, 10_000))
            try setLong(handle, CURLOPT_SSL_VERIFYPEER, 1)
            try setLong(handle, CURLOPT_SSL_VERIFYHOST, 2)
            try setLong(handle, CURLOPT_FOLLOWLOCATION, 0)
            try setLong(handle, CURLOPT_TCP_KEEPALIVE, 1)
            try setString(handle, CURLOPT_ACCEPT_ENCODING, "")
            try check(
                leanstats_curl_setopt_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maximumBytes)),
                "CURLOPT_MAXFILESIZE_LARGE"
            )
            try setPointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
            for header in request.headers + [HTTPHeader("Expect", "")] {
                let line = header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)"
                headerList = curl_slist_append(headerList, line)
            }
            try check(leanstats_curl_setopt_list(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")
            switch request.method {
            case .get:
                try setLong(handle, CURLOPT_HTTPGET, 1)
            case .post:
                let body = request.body ?? []
                try setLong(handle, CURLOPT_POST, 1)
                try check(
                    leanstats_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)),
                    "CURLOPT_POSTFIELDSIZE_LARGE"
                )
                // COPYPOSTFIELDS copies exactly POSTFIELDSIZE bytes, so the body needs no terminating NUL.
                let code = body.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress.map {
                        leanstats_curl_setopt_pointer(
                            handle,
                            CURLOPT_COPYPOSTFIELDS,
                            UnsafeMutableRawPointer(mutating: $0)
                        )
                    } ?? leanstats_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
                }
                try check(code, "CURLOPT_COPYPOSTFIELDS")
            }
            try check(
                leanstats_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, writeBody),
                "CURLOPT_WRITEFUNCTION"
            )
            try setPointer(handle, CURLOPT_WRITEDATA, context.toOpaque())
            try check(
                leanstats_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, writeHeader),
                "CURLOPT_HEADERFUNCTION"
            )
            try setPointer(handle, CURLOPT_HEADERDATA, context.toOpaque())
        } catch {
            return .failure(error)
        }
        let code = curl_easy_perform(handle)
        if sink.exceeded || code == CURLE_FILESIZE_EXCEEDED {
            return .failure(Self.tooLarge(request.url, limit: maximumBytes))
        }
        guard code == CURLE_OK else { return .failure(failure(code)) }
        var status = 0
        _ = leanstats_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: sink.headers, body: sink.body))
    }

    /// The error for a response above the limit; it names the URL without its query, which may hold a secret.
    static func tooLarge(_ url: String, limit: Int) -> TransportError {
        let address = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return TransportError(.tooLarge, "the response from \(address) is larger than \(limit) bytes")
    }

    // MARK: - Option helpers (the internal layer: C status → Swift error)

    private func setLong(_ handle: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) throws(TransportError) {
        try check(leanstats_curl_setopt_long(handle, option, value), "option \(option.rawValue)")
    }

    private func setString(
        _ handle: UnsafeMutableRawPointer,
        _ option: CURLoption,
        _ value: String
    ) throws(TransportError) {
        try check(leanstats_curl_setopt_string(handle, option, value), "option \(option.rawValue)")
    }

    private func setPointer(
        _ handle: UnsafeMutableRawPointer,
        _ option: CURLoption,
        _ value: UnsafeMutableRawPointer
    ) throws(TransportError) {
        try check(leanstats_curl_setopt_pointer(handle, option, value), "option \(option.rawValue)")
    }

    private func check(_ code: CURLcode, _ what: String) throws(TransportError) {
        guard code == CURLE_OK else {
            let reason = String(cString: curl_easy_strerror(code))
            throw TransportError(
                code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL ? .invalidURL : .other,
                "libcurl refused \(what): \(reason)"
            )
        }
    }

    /// Turns a failed transfer's code into an error, with libcurl's detailed message when it wrote one.
    private func failure(_ code: CURLcode) -> TransportError {
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let kind: TransportError.Kind
        switch code {
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .resolve
        case CURLE_COULDNT_CONNECT: kind = .connect
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_BAD_CONTENT_ENCODING:
            kind = .interrupted
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE:
            kind = .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidURL
        default: kind = .other
        }
        return TransportError(kind, message.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Collects one response's header fields and body from libcurl's callbacks, up to a limit on the body.
private final class ResponseSink {
    let limit: Int
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    /// Whether the body went past ``limit`` (and the transfer was aborted).
    var exceeded = false

    init(limit: Int) {
        self.limit = limit
    }
}

/// CURLOPT_WRITEFUNCTION: appends body bytes; returning less than it was given aborts the transfer
/// (`CURLE_WRITE_ERROR`) once the body would pass the sink's limit.
private let writeBody: leanstats_curl_data_callback = { data, size, count, context in
    let total = size * count
    guard let data, let context else { return total }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    guard total <= sink.limit - sink.body.count else {
        sink.exceeded = true
        return 0
    }
    sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: total))
    return total
}

/// CURLOPT_HEADERFUNCTION: records `Name: value` lines; a new status line (after `100 Continue`) starts afresh.
private let writeHeader: leanstats_curl_data_callback = { data, size, count, context in
    let total = size * count
    guard let data, let context else { return total }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: total), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        sink.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        sink.headers[name] = value
    }
    return total
}
