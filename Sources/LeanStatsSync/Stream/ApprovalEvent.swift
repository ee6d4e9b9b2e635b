import Foundation

/// One approval event from DingTalk's Stream gateway, decoded (`docs/dingtalk-api-notes.md` §12).
///
/// Times are Unix epoch milliseconds, as the event carries them (true instants, not Beijing wall time).
public struct ApprovalEvent: Sendable, Equatable {
    /// Which event this is: an instance's or a task's.
    public enum Kind: String, Sendable {
        /// `bpms_instance_change`: an instance started, finished, was terminated or deleted.
        case instanceChange = "bpms_instance_change"
        /// `bpms_task_change`: an approver's task started, finished, was cancelled, commented or redirected.
        case taskChange = "bpms_task_change"
    }

    /// The event's `type`.
    public enum EventType: Sendable, Hashable {
        case start
        case finish
        case terminate
        case delete
        case cancel
        case comment
        case redirect
        /// A type DingTalk added since; the instance should be fetched.
        case unknown(String)

        /// Reads a `type` value, ignoring case.
        /// - Parameter text: The value.
        public init(_ text: String) {
            switch text.lowercased() {
            case "start": self = .start
            case "finish": self = .finish
            case "terminate": self = .terminate
            case "delete": self = .delete
            case "cancel": self = .cancel
            case "comment": self = .comment
            case "redirect": self = .redirect
            default: self = .unknown(text)
            }
        }

        /// The value as DingTalk writes it.
        public var text: String {
            switch self {
            case .start: "start"
            case .finish: "finish"
            case .terminate: "terminate"
            case .delete: "delete"
            case .cancel: "cancel"
            case .comment: "comment"
            case .redirect: "redirect"
            case .unknown(let text): text
            }
        }
    }

    /// The event id (`eventId` header); the same event delivered twice has the same id.
    public var eventId: String
    /// Instance or task change.
    public var kind: Kind
    /// What happened.
    public var type: EventType
    /// The instance concerned.
    public var processInstanceId: String
    /// The approval template's code.
    public var processCode: String?
    /// `agree` / `refuse` (tasks also `redirect`, `audit`); absent on terminate.
    public var result: String?
    /// When the instance (or task) was created, epoch milliseconds.
    public var createTime: Int64?
    /// When it finished, epoch milliseconds.
    public var finishTime: Int64?
    /// The originator (instance events) or the approver (task events).
    public var staffId: String?
    /// The instance's title.
    public var title: String?
    /// The business id (审批编号).
    public var businessId: String?
    /// When DingTalk produced the event, epoch milliseconds.
    public var eventBornTime: Int64?

    /// Creates an event.
    public init(
        eventId: String,
        kind: Kind,
        type: EventType,
        processInstanceId: String,
        processCode: String? = nil,
        result: String? = nil,
        createTime: Int64? = nil,
        finishTime: Int64? = nil,
        staffId: String? = nil,
        title: String? = nil,
        businessId: String? = nil,
        eventBornTime: Int64? = nil
    ) {
        self.eventId = eventId
        self.kind = kind
        self.type = type
        self.processInstanceId = processInstanceId
        self.processCode = processCode
        self.result = result
        self.createTime = createTime
        self.finishTime = finishTime
        self.staffId = staffId
        self.title = title
        self.businessId = businessId
        self.eventBornTime = eventBornTime
    }

    /// Decodes an EVENT frame's headers and `data`; `nil` for an event type other than the two approval events, or
    /// a body without an instance id.
    /// - Parameters:
    ///   - headers: The frame's headers (`eventType`, `eventId`, `eventBornTime`, …).
    ///   - data: The frame's `data`, a JSON object as a string.
    static func decode(headers: [String: String], data: String) -> ApprovalEvent? {
        guard let kind = headers["eventType"].flatMap(Kind.init(rawValue:)),
            let body = JSONObject(Array(data.utf8)),
            let instanceId = body.text("processInstanceId"), !instanceId.isEmpty
        else { return nil }
        let eventId = headers["eventId"] ?? headers["messageId"] ?? ""
        return ApprovalEvent(
            eventId: eventId,
            kind: kind,
            type: EventType(body.text("type") ?? ""),
            processInstanceId: instanceId,
            processCode: body.text("processCode"),
            result: body.text("result").flatMap { $0.isEmpty ? nil : $0 },
            createTime: body.integer("createTime"),
            finishTime: body.integer("finishTime"),
            staffId: body.text("staffId"),
            title: body.text("title"),
            businessId: body.text("businessId"),
            eventBornTime: headers["eventBornTime"].flatMap { Int64($0) } ?? body.integer("eventBornTime")
        )
    }
}
