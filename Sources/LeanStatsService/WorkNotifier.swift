import Foundation
import LeanStatsSync

/// Who gets the monthly summary as a work notification from the DingTalk app (`[report] agent_id`, `to_userids`).
public struct WorkNotificationSettings: Sendable, Equatable {
    /// The app's agent id.
    public var agentId: Int64
    /// The DingTalk user ids to notify.
    public var userIds: [String]

    /// Creates settings.
    public init(agentId: Int64, userIds: [String]) {
        self.agentId = agentId
        self.userIds = userIds
    }
}

/// Sends work notifications through the app (`asyncsend_v2`), with the sync's credentials and access token; each
/// one is a metered API call (`docs/dingtalk-delivery.md`).
public struct WorkNotifier: Sendable {
    /// The recipients and the agent.
    public let settings: WorkNotificationSettings
    /// The DingTalk settings (hosts, credentials).
    public let sync: SyncSettings
    private let transport: (any HTTPTransport)?

    /// Creates a notifier.
    /// - Parameters:
    ///   - settings: The recipients and the agent.
    ///   - sync: The DingTalk settings.
    ///   - transport: The HTTP transport; libcurl by default.
    public init(settings: WorkNotificationSettings, sync: SyncSettings, transport: (any HTTPTransport)? = nil) {
        self.settings = settings
        self.sync = sync
        self.transport = transport
    }

    /// Sends one message to every recipient.
    /// - Parameter message: The message.
    /// - Returns: DingTalk's task id.
    /// - Throws: ``ServiceError`` with code `.workNotification` and what to fix.
    @discardableResult
    public func send(_ message: RobotMessage) async throws(ServiceError) -> String {
        guard !settings.userIds.isEmpty else {
            throw ServiceError(.workNotification, "report.to_userids is empty; list the DingTalk user ids to notify")
        }
        let client = DingTalkClient(
            settings: sync,
            transport: transport ?? CurlTransport(timeoutSeconds: sync.timeoutSeconds)
        )
        do {
            return try await client.sendWorkNotification(
                agentId: settings.agentId,
                userIds: settings.userIds,
                message: message.workNotificationJSON
            )
        } catch {
            throw ServiceError(.workNotification, "the work notification was not sent: \(error.message)")
        }
    }
}
