/// One HTTP request of the DingTalk client.
public struct HTTPRequest: Sendable, Equatable {
    /// The HTTP methods the DingTalk APIs use.
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    /// The method.
    public var method: Method
    /// The absolute URL, query included. It may carry secrets (the legacy token API takes the app secret in the
    /// query): never log it.
    public var url: String
    /// Header fields, in order.
    public var headers: [HTTPHeader]
    /// The body, `nil` for none.
    public var body: [UInt8]?

    /// Creates a request.
    public init(method: Method, url: String, headers: [HTTPHeader] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One header field.
public struct HTTPHeader: Sendable, Equatable {
    /// The field name.
    public var name: String
    /// The field value.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One HTTP response.
public struct HTTPResponse: Sendable, Equatable {
    /// The status code.
    public var status: Int
    /// Header fields, names in lower case (the last value wins for repeated names).
    public var headers: [String: String]
    /// The body, decompressed.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of a header field, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

/// Why a request got no HTTP response.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: String, Sendable {
        /// The request did not finish within the timeout.
        case timeout
        /// The host name did not resolve.
        case resolve
        /// The connection was refused or could not be made.
        case connect
        /// The connection broke mid-transfer (a truncated body, a reset).
        case interrupted
        /// TLS failed, e.g. the server's certificate is not trusted.
        case tls
        /// The URL is malformed or uses an unsupported scheme.
        case invalidURL
        /// The response body (after content decoding) is larger than the transport accepts; the transfer was
        /// aborted.
        case tooLarge
        /// Anything else.
        case other
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// What happened, as the HTTP library put it (never containing the URL's query).
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Whether trying again may help (timeouts, refused or broken connections, DNS hiccups).
    public var isTransient: Bool {
        switch kind {
        case .timeout, .resolve, .connect, .interrupted, .other: true
        case .tls, .invalidURL, .tooLarge: false
        }
    }

    public var description: String { message }
}

/// Sends HTTP requests. The sync talks to DingTalk only through this protocol, so tests can point the real client
/// at a local server, and another HTTP stack could replace libcurl.
public protocol HTTPTransport: Sendable {
    /// Sends one request and waits for the whole response.
    /// - Parameter request: The request.
    /// - Returns: The response, whatever its status code.
    /// - Throws: ``TransportError`` when no complete response arrived.
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
}
