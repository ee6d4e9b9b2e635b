import Foundation

/// The login flow of `login.dingtalk.com` and the contacts calls a dashboard login makes (`docs/dashboard-login.md`).
extension DingTalkEmulator {
    /// `GET /oauth2/auth`: checks the client id and redirect, then sends the browser back to `redirect_uri` with a
    /// fresh `authCode` and the `state` it was given, for the user named by `login_as` or
    /// ``EmulatorOptions/loginAs``; without either it shows a page to pick one.
    func loginPage(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard request.query["client_id"] == options.appKey else {
            return Self.html(400, "<h1>登录失败</h1><p>client_id 不是本应用的 AppKey。</p>")
        }
        guard let redirect = request.query["redirect_uri"],
            redirect.hasPrefix("http://") || redirect.hasPrefix("https://")
        else {
            return Self.html(400, "<h1>登录失败</h1><p>缺少 redirect_uri。</p>")
        }
        guard request.query["response_type"] == "code" else {
            return Self.html(400, "<h1>登录失败</h1><p>response_type 必须是 code。</p>")
        }
        let organisation = state.withLock { $0.organisation }
        guard let login = request.query["login_as"].flatMap({ $0.isEmpty ? nil : $0 }) ?? options.loginAs else {
            return Self.html(200, pickerPage(request, organisation: organisation))
        }
        guard login == EmulatedOrganisation.outsider || organisation.isMember(login) else {
            return Self.html(400, "<h1>登录失败</h1><p>没有这个用户：\(Self.escape(login))</p>")
        }
        let code = "code" + requestId() + requestId()
        state.withLock { $0.authCodes[code] = login }
        var location = redirect + (redirect.contains("?") ? "&" : "?") + "authCode=" + Self.formEscape(code)
        if let given = request.query["state"] { location += "&state=" + Self.formEscape(given) }
        return HTTPServerResponse(status: 302, headers: [("Location", location)])
    }

    /// `POST /v1.0/oauth2/userAccessToken`: a code is good once, for this app only.
    func userAccessToken(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.jsonObject(request.body) else {
            return v1Error(400, "MissingParameter", "body is mandatory")
        }
        guard body["clientId"] as? String == options.appKey, body["clientSecret"] as? String == options.appSecret
        else {
            return v1Error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        }
        guard body["grantType"] as? String == "authorization_code", let code = body["code"] as? String else {
            return v1Error(400, "invalidParameter", "grantType 必须是 authorization_code，且 code 不能为空")
        }
        guard let login = state.withLock({ $0.authCodes.removeValue(forKey: code) }) else {
            return v1Error(400, "invalidAuthCode", "临时授权码无效或已使用")
        }
        let token = "user" + requestId() + requestId()
        state.withLock { $0.userTokens[token] = login }
        return .json(200, ["accessToken": token, "refreshToken": "refresh" + requestId(), "expireIn": 7200])
    }

    /// `GET /v1.0/contact/users/me`: the union id and nick of the token's user.
    func currentUser(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let token = request.headers["x-acs-dingtalk-access-token"], !token.isEmpty else {
            return v1Error(400, "AuthenticationFailed.MissingParameter", "缺少参数：x-acs-dingtalk-access-token")
        }
        guard let login = state.withLock({ $0.userTokens[token] }) else {
            return v1Error(400, "InvalidAuthentication", "不合法的access_token")
        }
        let name = state.withLock { $0.users[login]?.name } ?? "外部用户"
        return .json(
            200,
            ["nick": name, "unionId": EmulatedOrganisation.unionId(of: login), "openId": "open" + login]
        )
    }

    /// `POST /topapi/user/getbyunionid`: 60121 for anyone outside the organisation.
    func userIdByUnionId(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.legacyParameters(request), let unionId = Self.text(body["unionid"]), !unionId.isEmpty
        else {
            return legacyError(400002, "参数错误: unionid 不能为空")
        }
        let userId = state.withLock { state in
            state.users.keys.first { EmulatedOrganisation.unionId(of: $0) == unionId }
        }
        guard let userId else { return legacyError(60121, "找不到该用户") }
        return .json(
            200,
            [
                "errcode": 0, "errmsg": "ok", "request_id": requestId(),
                "result": ["contact_type": 0, "userid": userId] as [String: Any],
            ]
        )
    }

    /// `POST /topapi/v2/department/listsub`: the direct sub-departments (of the root when no id is given).
    func subDepartments(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.legacyParameters(request) else {
            return legacyError(43004, "无效的HTTP HEADER Content-Type")
        }
        let id = Self.integer(body["dept_id"]) ?? 1
        let organisation = state.withLock { $0.organisation }
        guard organisation.department(id) != nil else { return legacyError(60003, "部门不存在") }
        let result = organisation.children(of: id).map { child -> [String: Any] in
            [
                "dept_id": child.id, "name": child.name, "parent_id": id, "create_dept_group": false,
                "auto_add_user": true,
            ]
        }
        return .json(200, ["errcode": 0, "errmsg": "ok", "request_id": requestId(), "result": result])
    }

    /// The page that lets a person pick whom to sign in as: heads, admins, a few members and the outsider.
    private func pickerPage(_ request: HTTPServerRequest, organisation: EmulatedOrganisation) -> String {
        var choices: [(login: String, label: String)] = []
        for (dept, head) in organisation.heads.sorted(by: { $0.key < $1.key }) {
            let name = organisation.department(dept)?.name ?? String(dept)
            choices.append((head, "\(head)（\(name)负责人）"))
        }
        for admin in organisation.admins { choices.append((admin, "\(admin)（管理员）")) }
        choices.append((EmulatedOrganisation.outsider, "\(EmulatedOrganisation.outsider)（不在组织内）"))
        var html = "<h1>钉钉登录（模拟）</h1><p>选择登录用户：</p><ul>"
        for choice in choices {
            var query = request.query
            query["login_as"] = choice.login
            let target =
                "/oauth2/auth?"
                + query.sorted { $0.key < $1.key }.map {
                    Self.formEscape($0.key) + "=" + Self.formEscape($0.value)
                }.joined(separator: "&")
            html += "<li><a href=\"\(Self.escape(target))\">\(Self.escape(choice.label))</a></li>"
        }
        return html + "</ul>"
    }

    private static func html(_ status: Int, _ body: String) -> HTTPServerResponse {
        HTTPServerResponse(
            status: status,
            headers: [("Content-Type", "text/html;charset=utf-8")],
            body: Array(("<!doctype html><meta charset=\"utf-8\"><title>钉钉登录</title>" + body).utf8)
        )
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    private static func formEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
