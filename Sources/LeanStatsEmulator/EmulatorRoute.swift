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
    /// The login page of `login.dingtalk.com` (`/oauth2/auth`).
    case loginPage
    /// A login's authorisation code exchanged for the user's access token.
    case userAccessToken
    /// The signed-in user's own account, by the user's access token.
    case currentUser
    /// A union id's user id.
    case userIdByUnionId
    /// The direct sub-departments of a department.
    case subDepartments
    /// The Stream gateway's `connections/open`: an endpoint and a ticket for one WebSocket connection.
    case streamOpen
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
        case "/oauth2/auth": self = .loginPage
        case "/v1.0/oauth2/userAccessToken": self = .userAccessToken
        case "/v1.0/contact/users/me": self = .currentUser
        case "/topapi/user/getbyunionid": self = .userIdByUnionId
        case "/topapi/v2/department/listsub": self = .subDepartments
        case "/v1.0/gateway/connections/open": self = .streamOpen
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
        case .loginPage: "oauth2/auth"
        case .userAccessToken: "v1.0/oauth2/userAccessToken"
        case .currentUser: "v1.0/contact/users/me"
        case .userIdByUnionId: "topapi/user/getbyunionid"
        case .subDepartments: "topapi/v2/department/listsub"
        case .streamOpen: "v1.0/gateway/connections/open"
        case .unknownLegacy(let path), .unknownV1(let path): String(path.dropFirst())
        case .notFound: "other"
        }
    }

    /// Whether errors follow the legacy shape (HTTP 200 with `errcode`) rather than v1.0's (HTTP 4xx with `code`).
    var isLegacy: Bool {
        switch self {
        case .legacyToken, .legacyList, .legacyDetail, .user, .department, .robotSend, .workNotification,
            .userIdByUnionId, .subDepartments, .unknownLegacy:
            true
        case .v1Token, .v1List, .v1Detail, .unknownV1, .notFound, .loginPage, .userAccessToken, .currentUser,
            .streamOpen:
            false
        }
    }

    /// Whether the call needs an access token.
    var needsToken: Bool {
        switch self {
        case .legacyToken, .v1Token, .robotSend, .notFound, .loginPage, .userAccessToken, .currentUser, .streamOpen:
            false
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
        case .legacyToken, .v1Detail, .loginPage, .currentUser: "GET"
        default: "POST"
        }
    }
}
