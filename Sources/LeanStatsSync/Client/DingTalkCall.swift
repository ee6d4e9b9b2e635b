import Foundation

/// One DingTalk API call the sync makes, independent of the API family.
enum DingTalkCall: Sendable, Equatable {
    /// Get an access token.
    case token
    /// One page of instance ids created in `[start, end]` (epoch milliseconds).
    case listIds(processCode: String, start: Int64, end: Int64, cursor: Int64, statuses: [String] = [])
    /// One instance's detail.
    case detail(instanceId: String)
    /// One user (contacts, always legacy `/topapi/v2/user/get`).
    case user(userId: String)
    /// One department (contacts, always legacy `/topapi/v2/department/get`).
    case department(id: Int64)
    /// A work notification from the app to users (always legacy
    /// `/topapi/message/corpconversation/asyncsend_v2`); `message` is the JSON of the `msg` object.
    case workNotification(agentId: Int64, userIds: [String], message: [UInt8])
    /// A login's authorisation code exchanged for the user's access token (v1.0, no app token).
    case userAccessToken(code: String)
    /// The signed-in user's own account, read with the user's access token (v1.0 `contact/users/me`).
    case currentUser(userToken: String)
    /// The user id of a union id (contacts, legacy `/topapi/user/getbyunionid`).
    case userIdByUnionId(unionId: String)
    /// The direct sub-departments of a department (contacts, legacy `/topapi/v2/department/listsub`).
    case subDepartments(id: Int64)
    /// Opens a Stream connection: an endpoint and a one-time ticket (`docs/dingtalk-api-notes.md` §12).
    case streamConnection(userAgent: String, localIp: String)

    /// Whether the call counts against the organisation's monthly quota: the approval APIs do; token and contacts
    /// APIs are exempt (`docs/dingtalk-api-notes.md` §10).
    var countsAgainstQuota: Bool {
        switch self {
        case .listIds, .detail, .workNotification: true
        case .token, .user, .department, .userAccessToken, .currentUser, .userIdByUnionId, .subDepartments,
            .streamConnection:
            false
        }
    }

    /// Whether the call carries the app's access token.
    var needsToken: Bool {
        switch self {
        case .token, .userAccessToken, .currentUser, .streamConnection: false
        default: true
        }
    }

    /// Whether the contacts APIs are meant.
    var isContacts: Bool {
        switch self {
        case .user, .department, .userIdByUnionId, .subDepartments: true
        default: false
        }
    }

    /// Whether a dashboard login's v1.0 calls are meant (always v1.0, whatever `dingtalk.api` says).
    var isLogin: Bool {
        switch self {
        case .userAccessToken, .currentUser, .streamConnection: true
        default: false
        }
    }

    /// Whether the API exists only in the legacy family (contacts, work notifications).
    var isLegacyOnly: Bool {
        switch self {
        case .user, .department, .workNotification: true
        default: false
        }
    }
}

/// Builds the HTTP requests of each API family (`docs/dingtalk-api-notes.md` §4–§8) and names the endpoints.
struct DingTalkWire: Sendable {
    let api: DingTalkAPI
    let apiURL: String
    let oapiURL: String
    let appKey: String
    let appSecret: String

    /// The largest page DingTalk allows.
    static let pageSize = 20

    init(settings: SyncSettings) {
        api = settings.api
        apiURL = Self.trimmed(settings.apiURL)
        oapiURL = Self.trimmed(settings.oapiURL)
        appKey = settings.appKey
        appSecret = settings.appSecret
    }

    /// Whether a call's answer has the legacy shape (HTTP 200 with `errcode`).
    func isLegacyShape(_ call: DingTalkCall) -> Bool {
        call.isContacts || call.isLegacyOnly || (api == .legacy && !call.isLogin)
    }

    /// The path of a call's endpoint: the QPS bucket, the statistics key, and what error messages name.
    func path(_ call: DingTalkCall) -> String {
        switch (call, api) {
        case (.token, .v1): "/v1.0/oauth2/accessToken"
        case (.token, .legacy): "/gettoken"
        case (.listIds, .v1): "/v1.0/workflow/processes/instanceIds/query"
        case (.listIds, .legacy): "/topapi/processinstance/listids"
        case (.detail, .v1): "/v1.0/workflow/processInstances"
        case (.detail, .legacy): "/topapi/processinstance/get"
        case (.user, _): "/topapi/v2/user/get"
        case (.department, _): "/topapi/v2/department/get"
        case (.workNotification, _): "/topapi/message/corpconversation/asyncsend_v2"
        case (.userAccessToken, _): "/v1.0/oauth2/userAccessToken"
        case (.currentUser, _): "/v1.0/contact/users/me"
        case (.userIdByUnionId, _): "/topapi/user/getbyunionid"
        case (.subDepartments, _): "/topapi/v2/department/listsub"
        case (.streamConnection, _): "/v1.0/gateway/connections/open"
        }
    }

    /// The host a call goes to, for messages: `api.dingtalk.com`.
    func host(_ call: DingTalkCall) -> String {
        let base = isLegacyShape(call) ? oapiURL : apiURL
        return URLComponents(string: base).map { components in
            (components.host ?? base) + (components.port.map { ":\($0)" } ?? "")
        } ?? base
    }

    /// The method and path, for messages: `POST /v1.0/workflow/processes/instanceIds/query`.
    func endpoint(_ call: DingTalkCall) -> String {
        var method = (call == .token && api == .legacy) || (call.isDetail && api == .v1) ? "GET" : "POST"
        if case .currentUser = call { method = "GET" }
        return "\(method) \(path(call))"
    }

    /// The request for a call.
    /// - Parameters:
    ///   - call: The call.
    ///   - token: The access token, for every call but `.token`.
    func request(_ call: DingTalkCall, token: String?) -> HTTPRequest {
        let json = HTTPHeader("Content-Type", "application/json")
        let legacyBase = oapiURL + path(call) + "?access_token=" + Self.escape(token ?? "")
        let v1Headers = [json, HTTPHeader("x-acs-dingtalk-access-token", token ?? "")]
        switch (call, api) {
        case (.token, .v1):
            return HTTPRequest(
                method: .post,
                url: apiURL + path(call),
                headers: [json],
                body: JSONObject.encode(["appKey": appKey, "appSecret": appSecret])
            )
        case (.token, .legacy):
            return HTTPRequest(
                method: .get,
                url: oapiURL + path(call) + "?appkey=" + Self.escape(appKey) + "&appsecret=" + Self.escape(appSecret)
            )
        case (.listIds(let code, let start, let end, let cursor, let statuses), .v1):
            var body: [String: Any] = [
                "processCode": code, "startTime": start, "endTime": end, "nextToken": cursor,
                "maxResults": Self.pageSize,
            ]
            if !statuses.isEmpty { body["statuses"] = statuses }
            return HTTPRequest(
                method: .post,
                url: apiURL + path(call),
                headers: v1Headers,
                body: JSONObject.encode(body)
            )
        case (.listIds(let code, let start, let end, let cursor, _), .legacy):
            let body: [String: Any] = [
                "process_code": code, "start_time": start, "end_time": end, "cursor": cursor, "size": Self.pageSize,
            ]
            return HTTPRequest(method: .post, url: legacyBase, headers: [json], body: JSONObject.encode(body))
        case (.detail(let id), .v1):
            return HTTPRequest(
                method: .get,
                url: apiURL + path(call) + "?processInstanceId=" + Self.escape(id),
                headers: v1Headers
            )
        case (.detail(let id), .legacy):
            return HTTPRequest(
                method: .post,
                url: legacyBase,
                headers: [json],
                body: JSONObject.encode(["process_instance_id": id])
            )
        case (.user(let id), _):
            return HTTPRequest(
                method: .post,
                url: legacyBase,
                headers: [json],
                body: JSONObject.encode(["userid": id, "language": "zh_CN"])
            )
        case (.department(let id), _), (.subDepartments(let id), _):
            return HTTPRequest(
                method: .post,
                url: legacyBase,
                headers: [json],
                body: JSONObject.encode(["dept_id": id, "language": "zh_CN"])
            )
        case (.workNotification(let agentId, let userIds, let message), _):
            let msg = (try? JSONSerialization.jsonObject(with: Data(message))) ?? [String: Any]()
            let body: [String: Any] = ["agent_id": agentId, "userid_list": userIds.joined(separator: ","), "msg": msg]
            return HTTPRequest(method: .post, url: legacyBase, headers: [json], body: JSONObject.encode(body))
        case (.userAccessToken(let code), _):
            let body: [String: Any] = [
                "clientId": appKey, "clientSecret": appSecret, "code": code, "grantType": "authorization_code",
            ]
            return HTTPRequest(method: .post, url: apiURL + path(call), headers: [json], body: JSONObject.encode(body))
        case (.currentUser(let userToken), _):
            return HTTPRequest(
                method: .get,
                url: apiURL + path(call),
                headers: [HTTPHeader("x-acs-dingtalk-access-token", userToken)]
            )
        case (.streamConnection(let userAgent, let localIp), _):
            let body: [String: Any] = [
                "clientId": appKey, "clientSecret": appSecret,
                "subscriptions": [["type": "EVENT", "topic": "*"]], "ua": userAgent, "localIp": localIp,
            ]
            return HTTPRequest(method: .post, url: apiURL + path(call), headers: [json], body: JSONObject.encode(body))
        case (.userIdByUnionId(let unionId), _):
            return HTTPRequest(
                method: .post,
                url: legacyBase,
                headers: [json],
                body: JSONObject.encode(["unionid": unionId])
            )
        }
    }

    private static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// RFC 3986's unreserved characters, ASCII only.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    /// Percent-encodes a query value.
    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}

extension DingTalkCall {
    var isDetail: Bool {
        if case .detail = self { return true }
        return false
    }
}
