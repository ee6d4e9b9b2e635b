import Foundation

/// One request as the dashboard's routes see it: the HTTP edge has already enforced the size limits and deadlines.
public struct DashboardRequest: Sendable {
    /// The method, e.g. `GET`.
    public var method: String
    /// The path without the query, percent-decoded, e.g. `/api/query`.
    public var path: String
    /// The query parameters, percent-decoded, `+` read as a space (the last value wins for repeated names).
    public var query: [String: String]
    /// The header fields, names in lower case (repeated fields joined with `, `).
    public var headers: [String: String]

    /// Creates a request.
    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    /// Creates a request from the target of its request line.
    /// - Parameters:
    ///   - method: The method.
    ///   - target: The request target, e.g. `/list?period=2025-11&dept=%E7%94%9F`.
    ///   - headers: The header fields, names in lower case.
    public init(method: String, target: String, headers: [String: String] = [:]) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") where !pair.isEmpty {
                let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[Self.formDecoded(halves[0])] = halves.count > 1 ? Self.formDecoded(halves[1]) : ""
            }
        }
        self.init(method: method, path: Self.formDecoded(parts[0], plusIsSpace: false), query: query, headers: headers)
    }

    /// Percent-decodes one form value; undecodable text is kept as sent.
    private static func formDecoded(_ text: Substring, plusIsSpace: Bool = true) -> String {
        let spaced = plusIsSpace ? text.replacingOccurrences(of: "+", with: " ") : String(text)
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// One answer of the dashboard's routes, turned into an HTTP response by the edge.
public struct DashboardResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields to send (the edge adds `Content-Length`).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]
    /// Whether the connection closes after this answer.
    public var closeConnection: Bool

    /// Creates a response.
    public init(
        status: Int,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        closeConnection: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// The value of a header field, compared without case; `nil` when absent.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// A JSON response with sorted keys.
    /// - Parameters:
    ///   - status: The status code.
    ///   - object: A JSON-serialisable object (dictionaries, arrays, strings, numbers, booleans, `NSNull`).
    /// - Returns: The response with `Content-Type: application/json;charset=utf-8`.
    static func json(_ status: Int, _ object: [String: Any]) -> DashboardResponse {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys]))
            ?? Data("{}".utf8)
        return DashboardResponse(
            status: status,
            headers: [("Content-Type", "application/json;charset=utf-8")],
            body: Array(data)
        )
    }
}

extension DashboardResponse {
    /// A plain-text response.
    /// - Parameters:
    ///   - status: The status code.
    ///   - text: The body.
    ///   - headers: Extra header fields.
    ///   - close: Whether the connection closes after it.
    static func plain(
        _ status: Int,
        _ text: String,
        headers: [(name: String, value: String)] = [],
        close: Bool = false
    ) -> DashboardResponse {
        DashboardResponse(
            status: status,
            headers: [("Content-Type", "text/plain;charset=utf-8")] + headers,
            body: Array(text.utf8),
            closeConnection: close
        )
    }
}
