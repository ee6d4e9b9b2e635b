/// Where to open a Stream WebSocket: the gateway's endpoint and a ticket valid for one connection within 90 s.
public struct StreamTicket: Sendable, Equatable {
    /// The WebSocket endpoint, `wss://…` (the emulator's: `ws://127.0.0.1:…/connect`).
    public var endpoint: String
    /// The one-time ticket.
    public var ticket: String

    /// Creates a ticket.
    public init(endpoint: String, ticket: String) {
        self.endpoint = endpoint
        self.ticket = ticket
    }

    /// The URL to connect to: `endpoint?ticket=<percent-encoded ticket>`.
    public var url: String {
        endpoint + (endpoint.contains("?") ? "&" : "?") + "ticket=" + DingTalkWire.escape(ticket)
    }
}

extension DingTalkClient {
    /// Asks the Stream gateway for a connection (`POST /v1.0/gateway/connections/open` with the app key and secret as
    /// `clientId` / `clientSecret` and one EVENT subscription on topic `*`; not metered, `docs/dingtalk-api-notes.md`
    /// §12).
    /// - Parameters:
    ///   - userAgent: The `ua` to send.
    ///   - localIp: The `localIp` to send.
    /// - Returns: The endpoint and ticket.
    /// - Throws: ``SyncError``: `.credentials` for a wrong app key or secret, `.permission` when the app may not use
    ///   Stream mode, `.network` / `.server` when the gateway cannot be reached after the retries.
    public func openStreamConnection(userAgent: String, localIp: String) async throws(SyncError) -> StreamTicket {
        let call = DingTalkCall.streamConnection(userAgent: userAgent, localIp: localIp)
        let object = try await executor.perform(call, tokens: nil)
        guard let endpoint = object.text("endpoint"), !endpoint.isEmpty,
            let ticket = object.text("ticket"), !ticket.isEmpty
        else {
            throw executor.unexpected(call, "no endpoint or ticket")
        }
        guard endpoint.hasPrefix("wss://") || endpoint.hasPrefix("ws://") else {
            throw executor.unexpected(call, "an endpoint '\(endpoint)' that is not a ws:// or wss:// URL")
        }
        return StreamTicket(endpoint: endpoint, ticket: ticket)
    }
}
