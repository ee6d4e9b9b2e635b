/// One approval instance as it arrives from DingTalk or from an import file, before it is stored in columns.
///
/// Times are Unix epoch seconds (UTC). Text fields that are absent, empty or the DingTalk placeholder `"null"`
/// are `nil`; importers normalise them before building a record.
public struct InstanceRecord: Sendable, Hashable {
    /// The process instance id, or the business id where no process instance id is known.
    public var instanceId: String
    /// The business id (审批编号), 21 digits for real instances.
    public var businessId: String?
    /// The instance title, e.g. "张三提交的精益提案".
    public var title: String?
    /// Creation time, Unix epoch seconds.
    public var createTime: Int64
    /// Finish time, Unix epoch seconds, `nil` while the instance is open.
    public var finishTime: Int64?
    /// The DingTalk status, `nil` when unknown.
    public var status: InstanceStatus?
    /// The approval result, `nil` while running or when not given.
    public var result: InstanceResult?
    /// The originator's DingTalk user id.
    public var originatorUserId: String?
    /// The originator's display name.
    public var originatorUserName: String?
    /// The originator's department id (`-1` is the root department in approval data).
    public var originatorDeptId: String?
    /// The originator's department name.
    public var originatorDeptName: String?
    /// Form fields in template order: name → value (select fields carry their label).
    public var formFields: [FormField]

    /// Creates a record; see the property documentation for the meaning of each field.
    public init(
        instanceId: String,
        businessId: String? = nil,
        title: String? = nil,
        createTime: Int64,
        finishTime: Int64? = nil,
        status: InstanceStatus? = nil,
        result: InstanceResult? = nil,
        originatorUserId: String? = nil,
        originatorUserName: String? = nil,
        originatorDeptId: String? = nil,
        originatorDeptName: String? = nil,
        formFields: [FormField] = []
    ) {
        self.instanceId = instanceId
        self.businessId = businessId
        self.title = title
        self.createTime = createTime
        self.finishTime = finishTime
        self.status = status
        self.result = result
        self.originatorUserId = originatorUserId
        self.originatorUserName = originatorUserName
        self.originatorDeptId = originatorDeptId
        self.originatorDeptName = originatorDeptName
        self.formFields = formFields
    }

    /// The value of the form field with this name, if the instance has it.
    public func formValue(_ name: String) -> String? {
        formFields.first(where: { $0.name == name })?.value
    }
}

/// One form field of an instance: its label and its value as text.
public struct FormField: Sendable, Hashable {
    /// The component label, e.g. `提案类别`.
    public var name: String
    /// The value as text (select fields: the option label).
    public var value: String

    /// Creates a form field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The name of the form field that holds the proposal category.
public let categoryFieldName = "提案类别"

/// The status of an approval instance, stored as a one-byte code (0 means unknown).
public enum InstanceStatus: UInt8, Sendable, CaseIterable, Hashable {
    case new = 1
    case running = 2
    case completed = 3
    case terminated = 4
    case canceled = 5

    /// Bit `s` set for the status bytes of open instances, NEW and RUNNING.
    static let openMask: UInt64 =
        1 << UInt64(InstanceStatus.new.rawValue) | 1 << UInt64(InstanceStatus.running.rawValue)

    /// Whether a stored status byte is that of an open instance (NEW or RUNNING).
    @inline(__always)
    static func isOpen(byte: UInt8) -> Bool { openMask & (1 &<< UInt64(byte)) != 0 }

    /// The DingTalk code, e.g. `COMPLETED`.
    public var code: String {
        switch self {
        case .new: "NEW"
        case .running: "RUNNING"
        case .completed: "COMPLETED"
        case .terminated: "TERMINATED"
        case .canceled: "CANCELED"
        }
    }

    /// Parses a DingTalk status code, ignoring case; `nil` for anything else.
    public init?(code: String) {
        guard let match = Self.allCases.first(where: { $0.code == code.uppercased() }) else { return nil }
        self = match
    }
}

/// The result of an approval instance, stored as a one-byte code (0 means none).
public enum InstanceResult: UInt8, Sendable, CaseIterable, Hashable {
    case agree = 1
    case refuse = 2

    /// The DingTalk code, `agree` or `refuse`.
    public var code: String {
        switch self {
        case .agree: "agree"
        case .refuse: "refuse"
        }
    }

    /// Parses a DingTalk result code, ignoring case; `nil` for anything else.
    public init?(code: String) {
        switch code.lowercased() {
        case "agree": self = .agree
        case "refuse": self = .refuse
        default: return nil
        }
    }
}
