/// The APIs the emulator serves, recognised by method and path.
enum EmulatorRoute: Equatable {
    case legacyToken
    case v1Token
    case v1List
    case v1Detail
    case legacyList
    case legacyDetail
    case user
    case department
    /// A custom group robot's webhook (`/robot/send`).
    case robotSend
    /// A work notification (`/topapi/message/corpconversation/asyncsend_v2`).
    case workNotification
    /// A `/topapi/…` path the emulator does not know (legacy errcode 22).
    case unknownLegacy(String)
    /// A `/v1.0/…` path the emulator does not know.
    case unknownV1(String)
    /// Anything else.
    case notFound

    init(path: String) {
        switch path {
        case "/gettoken": self = .legacyToken
        case "/v1.0/oauth2/accessToken": self = .v1Token
        case "/v1.0/workflow/processes/instanceIds/query": self = .v1List
        case "/v1.0/workflow/processInstances": self = .v1Detail
        case "/topapi/processinstance/listids": self = .legacyList
        case "/topapi/processinstance/get": self = .legacyDetail
        case "/topapi/v2/user/get": self = .user
        case "/topapi/v2/department/get": self = .department
        case "/robot/send": self = .robotSend
        case "/topapi/message/corpconversation/asyncsend_v2": self = .workNotification
        default:
            if path.hasPrefix("/topapi/") {
                self = .unknownLegacy(path)
            } else if path.hasPrefix("/v1.0/") {
                self = .unknownV1(path)
            } else {
                self = .notFound
            }
        }
    }

    /// The API name used for QPS accounting and statistics: the path without the leading `/`.
    var api: String {
        switch self {
        case .legacyToken: "gettoken"
        case .v1Token: "v1.0/oauth2/accessToken"
        case .v1List: "v1.0/workflow/processes/instanceIds/query"
        case .v1Detail: "v1.0/workflow/processInstances"
        case .legacyList: "topapi/processinstance/listids"
        case .legacyDetail: "topapi/processinstance/get"
        case .user: "topapi/v2/user/get"
        case .department: "topapi/v2/department/get"
        case .robotSend: "robot/send"
        case .workNotification: "topapi/message/corpconversation/asyncsend_v2"
        case .unknownLegacy(let path), .unknownV1(let path): String(path.dropFirst())
        case .notFound: "other"
        }
    }

    /// Whether errors follow the legacy shape (HTTP 200 with `errcode`) rather than v1.0's (HTTP 4xx with `code`).
    var isLegacy: Bool {
        switch self {
        case .legacyToken, .legacyList, .legacyDetail, .user, .department, .robotSend, .workNotification,
            .unknownLegacy:
            true
        case .v1Token, .v1List, .v1Detail, .unknownV1, .notFound: false
        }
    }

    /// Whether the call needs an access token.
    var needsToken: Bool {
        switch self {
        case .legacyToken, .v1Token, .robotSend, .notFound: false
        default: true
        }
    }

    /// Whether the call counts against the organisation's monthly quota (approval APIs do, token and contacts
    /// APIs do not).
    var countsAgainstQuota: Bool {
        switch self {
        case .v1List, .v1Detail, .legacyList, .legacyDetail, .workNotification: true
        default: false
        }
    }

    /// The method the API expects.
    var method: String {
        switch self {
        case .legacyToken, .v1Detail: "GET"
        default: "POST"
        }
    }
}
