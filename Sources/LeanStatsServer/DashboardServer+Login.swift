import Foundation

/// `/login`, the DingTalk callback `/auth/dingtalk` and `/logout` (`docs/dashboard-login.md`).
extension DashboardServer {
    /// The name of the cookie that binds a login's state to the browser that started it.
    static let loginStateCookie = "leanstats_login"

    /// `/login`: a fresh state in a short-lived cookie, and a redirect to DingTalk's login page.
    func startLogin() -> DashboardResponse {
        guard let login else {
            return .plain(
                404,
                "the DingTalk login is off; set server.login = \"dingtalk\" and server.public_url, or open "
                    + "/?token=<server.token>\n"
            )
        }
        let (state, location) = login.begin()
        return DashboardResponse(
            status: 302,
            headers: [
                ("Location", location),
                (
                    "Set-Cookie",
                    cookie(Self.loginStateCookie, state, maxAge: Int(login.configuration.stateLifetime))
                ),
            ]
        )
    }

    /// `/auth/dingtalk?authCode=…&state=…`: checks the state, asks DingTalk who signed in, opens a session for
    /// that viewer and goes to the dashboard; a clear page when it fails (403 for an account outside the
    /// organisation).
    func finishLogin(_ request: DashboardRequest) async -> DashboardResponse {
        guard let login else { return .plain(404, "the DingTalk login is off\n") }
        let clearState = ("Set-Cookie", cookie(Self.loginStateCookie, "", maxAge: 0))
        let viewer: Viewer
        do {
            viewer = try await login.finish(
                state: request.query["state"],
                cookieState: Self.cookie(Self.loginStateCookie, in: request.headers["cookie"]),
                authCode: request.query["authCode"] ?? request.query["code"]
            )
        } catch {
            let status = error.code == .notInOrganisation ? 403 : 400
            let title = error.code == .notInOrganisation ? "您不是本组织成员" : "登录失败"
            let text =
                error.code == .notInOrganisation
                ? "这个钉钉账号不属于本组织，无法查看精益提案看板。请使用公司的钉钉账号登录。"
                : "钉钉登录没有完成，请重新登录。"
            var html = Page.head(title: title) + "<h1>\(HTML.escape(title))</h1>"
            html += "<p class=\"error\">\(HTML.escape(text))<br><small>\(HTML.escape(error.message))</small></p>"
            html += "<p><a href=\"/login\">重新登录</a></p></body></html>\n"
            var response = Self.html(status, html)
            response.headers.append(clearState)
            return response
        }
        let session = sessions.open(for: viewer)
        return DashboardResponse(
            status: 303,
            headers: [
                ("Location", "/"),
                ("Set-Cookie", cookie(Self.cookieName, session, maxAge: Int(configuration.sessionLifetime))),
                clearState,
            ]
        )
    }

    /// `/logout`: ends the session and clears its cookie.
    func logout(_ request: DashboardRequest) -> DashboardResponse {
        if let session = Self.cookie(Self.cookieName, in: request.headers["cookie"]) { sessions.close(session) }
        var html = Page.head(title: "已退出") + "<h1>已退出</h1><p>您已退出精益提案看板。</p>"
        if login != nil { html += "<p><a href=\"/login\">重新登录</a></p>" }
        var response = Self.html(200, html + "</body></html>\n")
        response.headers.append(("Set-Cookie", cookie(Self.cookieName, "", maxAge: 0)))
        return response
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax (the login comes back from DingTalk's site), `Secure` when the
    /// public address is HTTPS.
    private func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        var text = "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
        if login?.configuration.secureCookies == true { text += "; Secure" }
        return text
    }
}
