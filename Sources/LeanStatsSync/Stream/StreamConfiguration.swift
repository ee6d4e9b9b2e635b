import LeanStatsCore

/// How a ``StreamListener`` connects: the app's credentials and hosts (from the sync settings), the reconnection
/// backoff, the keep-alive interval and the deduplication window (`docs/dingtalk-api-notes.md` §12.1).
public struct StreamConfiguration: Sendable {
    /// The hosts and the app key and secret (the Stream gateway's `clientId` / `clientSecret`); `api` tells which
    /// detail precision ``ApprovalEvent/effect(on:api:)`` matches.
    public var settings: SyncSettings
    /// The delays between reconnection attempts.
    public var backoff = StreamBackoff()
    /// The WebSocket ping period (DingTalk's SDKs: 60 s).
    public var keepAliveMilliseconds = 60_000
    /// How long a connection must last (or whether it carried a frame) to count as healthy and reset the backoff.
    public var healthyAfterMilliseconds = 10_000
    /// How many event ids are remembered to drop duplicates.
    public var dedupeCapacity = 10_000
    /// The largest frame accepted.
    public var maximumFrameBytes = 1 << 20
    /// The `ua` sent when opening a connection.
    public var userAgent = "leanstats/\(ProductVersion.current)"
    /// The `localIp` sent when opening a connection.
    public var localIp = "127.0.0.1"

    /// Creates a configuration with DingTalk's intervals.
    /// - Parameter settings: The sync settings (credentials and `dingtalk.api_url`).
    public init(settings: SyncSettings) {
        self.settings = settings
    }
}

/// What a ``StreamListener`` reports while it runs, for logging.
public enum StreamStatus: Sendable, Equatable {
    /// A WebSocket connection is open.
    case connected(endpoint: String)
    /// The connection ended; the reason as the listener saw it.
    case disconnected(reason: String)
    /// The next connection is attempted after a delay.
    case reconnecting(attempt: Int, afterMilliseconds: Int)
    /// Opening a connection failed for a reason worth retrying.
    case gatewayFailed(SyncError)
    /// DingTalk's monthly push quota is used up (errCode 20001): events arrive without content until the month
    /// ends; the catch-up sync has to find the changes.
    case pushQuotaExhausted(message: String)
    /// The handler threw; the event was answered `LATER` so the gateway delivers it again.
    case handlerFailed(eventId: String, message: String)
}

extension StreamStatus: CustomStringConvertible {
    /// One line for the log, e.g. `reconnecting in 1.5 s (attempt 2)`.
    public var description: String {
        switch self {
        case .connected(let endpoint):
            "connected to \(endpoint)"
        case .disconnected(let reason):
            "disconnected: \(reason)"
        case .reconnecting(let attempt, let milliseconds):
            milliseconds == 0
                ? "reconnecting now (attempt \(attempt))"
                : "reconnecting in \(String(format: "%.1f", Double(milliseconds) / 1000)) s (attempt \(attempt))"
        case .gatewayFailed(let error):
            "cannot open a Stream connection: \(error.message)"
        case .pushQuotaExhausted(let message):
            "\(message); the catch-up syncs find the changes until the month ends"
        case .handlerFailed(let eventId, let message):
            "event \(eventId) not stored (\(message)); DingTalk delivers it again"
        }
    }
}

/// What a ``StreamListener`` did so far.
public struct StreamStatistics: Sendable, Equatable {
    /// WebSocket connections opened.
    public var connectionsOpened = 0
    /// Reconnections (each connection after the first attempt).
    public var reconnects = 0
    /// Approval events handed to the handler and acknowledged.
    public var eventsDelivered = 0
    /// Events dropped because their id was seen before.
    public var duplicatesDropped = 0
    /// Event frames acknowledged `SUCCESS` (duplicates and ignored events included).
    public var acks = 0
    /// Event frames answered `LATER` after the handler threw.
    public var laterReplies = 0
    /// SYSTEM pings answered.
    public var pingsAnswered = 0
    /// SYSTEM disconnects obeyed.
    public var disconnectsObeyed = 0
    /// Events of other types, acknowledged and ignored.
    public var eventsIgnored = 0
    /// Pushes that arrived with errCode 20001 (push quota used up).
    public var pushQuotaErrors = 0

    /// No activity yet.
    public init() {}
}
