import Foundation

/// One HTTP/1.1 request as the emulator's server received it.
public struct HTTPServerRequest: Sendable {
    /// The method, e.g. `GET`.
    public var method: String
    /// The path without the query, percent-decoded, e.g. `/topapi/processinstance/get`.
    public var path: String
    /// The query parameters, percent-decoded (the last value wins for repeated names).
    public var query: [String: String]
    /// The header fields, names in lower case.
    public var headers: [String: String]
    /// The body bytes (empty when there is none).
    public var body: [UInt8]

    /// Creates a request.
    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Splits a request target (`/path?a=1&b=2`) into its decoded path and query.
    /// - Parameter target: The target of the request line.
    /// - Returns: The path and the query parameters.
    static func split(target: String) -> (path: String, query: [String: String]) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = decode(String(parts[0]))
        var query: [String: String] = [:]
        if parts.count > 1 {
            query = decodeForm(String(parts[1]))
        }
        return (path, query)
    }

    /// Decodes `application/x-www-form-urlencoded` text into name → value.
    /// - Parameter text: The encoded pairs.
    /// - Returns: The decoded pairs; the last value wins for repeated names.
    static func decodeForm(_ text: String) -> [String: String] {
        var pairs: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(String(halves[0]).replacingOccurrences(of: "+", with: " "))
            let value = halves.count > 1 ? decode(String(halves[1]).replacingOccurrences(of: "+", with: " ")) : ""
            pairs[name] = value
        }
        return pairs
    }

    private static func decode(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }
}

/// One response the emulator's server writes.
public struct HTTPServerResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields to send (Content-Length is added by the server).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]
    /// When set, the server announces the full length but sends only this many body bytes and then closes the
    /// connection (a truncated transfer).
    public var truncateAfter: Int?
    /// Whether the server closes the connection after this response.
    public var closeConnection: Bool
    /// When set, the server sends nothing and resets the connection (TCP RST), as a connection broken on the
    /// network looks to the client.
    public var resetConnection = false

    /// Creates a response.
    public init(
        status: Int,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        truncateAfter: Int? = nil,
        closeConnection: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.truncateAfter = truncateAfter
        self.closeConnection = closeConnection
    }

    /// A JSON response.
    /// - Parameters:
    ///   - status: The status code.
    ///   - object: A JSON-serialisable object (dictionaries, arrays, strings, numbers, booleans).
    ///   - headers: Extra header fields.
    /// - Returns: The response with `Content-Type: application/json;charset=utf-8`.
    public static func json(
        _ status: Int,
        _ object: [String: Any],
        headers: [(name: String, value: String)] = []
    ) -> HTTPServerResponse {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys]))
            ?? Data("{}".utf8)
        return HTTPServerResponse(
            status: status,
            headers: [("Content-Type", "application/json;charset=utf-8")] + headers,
            body: Array(data)
        )
    }

    /// The reason phrase of a status code.
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Payload Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
