import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsServer
import LeanStatsTestSupport
import Testing

/// The dashboard's DingTalk login against the real emulator over loopback, and the scope each role gets.
@Suite(.serialized) struct LoginTests {
    /// The department whose head the tests sign in as: in the middle of the emulated tree, with a parent above it
    /// and sub-departments below.
    static let headedDepartment = "仓储物流部"

    @Test func loginSendsTheBrowserToDingTalkWithAStateBoundToACookie() async throws {
        let fixture = try await LoginFixture()
        let reply = try await fixture.get("/login")
        #expect(reply.status == 302)
        let location = try #require(reply.header("location"))
        let url = try #require(URLComponents(string: location))
        #expect(location.hasPrefix(fixture.emulator.baseURL + "/oauth2/auth?"))
        let query = Dictionary(uniqueKeysWithValues: (url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["redirect_uri"] == LoginFixture.publicURL + "/auth/dingtalk")
        #expect(query["response_type"] == "code")
        #expect(query["client_id"] == EmulatorOptions().appKey)
        #expect(query["scope"] == "openid")
        #expect(query["prompt"] == "consent")
        let state = try #require(query["state"])
        #expect(state.count == 64)
        let cookie = try #require(reply.setCookie("leanstats_login"))
        #expect(cookie.hasPrefix("leanstats_login=\(state);"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"))
        #expect(try await fixture.get("/login").header("location") != location)
    }

    @Test func aCallbackFromAnotherBrowserOrASecondTimeIsRefused() async throws {
        let fixture = try await LoginFixture()
        let head = try #require(fixture.head(of: Self.headedDepartment))
        let start = try await fixture.get("/login")
        let state = try #require(start.cookies["leanstats_login"])
        let startLocation = try #require(start.header("location"))
        let url = try #require(URLComponents(string: startLocation))
        let page = try await RawReply.fetch(
            port: fixture.emulator.port,
            lines: [
                "GET \(url.percentEncodedPath)?\(url.percentEncodedQuery ?? "")&login_as=\(head) HTTP/1.1",
                "Host: 127.0.0.1", "Connection: close",
            ]
        )
        let back = try #require(page.header("location"))
        let callback = String(back.dropFirst(LoginFixture.publicURL.count))
        let foreign = try await fixture.get(callback, cookies: ["leanstats_login": String(state.reversed())])
        #expect(foreign.status == 400)
        #expect(foreign.cookies["leanstats_session"] == nil)
        #expect(foreign.text.contains("登录失败"))
        let first = try await fixture.get(callback, cookies: ["leanstats_login": state])
        #expect(first.status == 303)
        #expect(first.cookies["leanstats_session"]?.isEmpty == false)
        let again = try await fixture.get(callback, cookies: ["leanstats_login": state])
        #expect(again.status == 400)
        #expect(again.text.contains("already used"))
    }

    @Test func someoneOutsideTheOrganisationIsToldSoWith403() async throws {
        let fixture = try await LoginFixture()
        let (reply, session) = try await fixture.signIn(as: EmulatedOrganisation.outsider)
        #expect(reply.status == 403)
        #expect(session == nil)
        #expect(reply.text.contains("不是本组织成员"))
        #expect(reply.text.contains("not a member of the organisation"))
    }

    @Test func aHeadSeesHisDepartmentsAndThoseBelowThemAndTheirFiguresAreExact() async throws {
        let fixture = try await LoginFixture()
        let organisation = fixture.organisation
        let dept = try #require(organisation.departments.first { $0.name == Self.headedDepartment })
        let head = try #require(organisation.heads[dept.id])
        let own = Set(organisation.subtree(of: dept.id).map(\.name))
        #expect(own.count >= 2, "the headed department has sub-departments")
        let (reply, session) = try await fixture.signIn(as: head)
        #expect(reply.status == 303)
        #expect(reply.header("location") == "/")
        let cookie = try #require(reply.setCookie("leanstats_session"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
        let signedIn = try #require(session)
        let cookies = ["leanstats_session": signedIn]

        let page = try await fixture.get("/", cookies: cookies)
        #expect(page.status == 200)
        #expect(page.text.contains("负责人"))
        for name in own {
            let shown = page.text.contains(name)
            #expect(shown, "the dashboard shows \(name)")
        }

        let byDept = try await fixture.get("/api/query?q=\(encoded("by dept count all"))", cookies: cookies)
        let all = try await fixture.get("/api/query?q=\(encoded("by dept count all"))", token: ServerFixture.token)
        let mine = try rows(byDept.text)
        let everyone = try rows(all.text)
        #expect(Set(mine.keys) == own.intersection(everyone.keys))
        for (name, count) in mine { #expect(everyone[name] == count) }
        let overview =
            try JSONSerialization.jsonObject(
                with: Data(try await fixture.get("/api/query?q=\(encoded("overview all"))", cookies: cookies).body)
            ) as? [String: Any]
        #expect((overview?["count"] as? Int) == mine.values.reduce(0, +))
    }

    @Test func noRouteShowsAHeadAnotherDepartment() async throws {
        let fixture = try await LoginFixture()
        let organisation = fixture.organisation
        let dept = try #require(organisation.departments.first { $0.name == Self.headedDepartment })
        let own = Set(organisation.subtree(of: dept.id).map(\.name))
        let head = try #require(organisation.heads[dept.id])
        let session = try #require(try await fixture.signIn(as: head).session)
        let cookies = ["leanstats_session": session]
        let stored = try rows(
            try await fixture.get("/api/query?q=\(encoded("by dept count all"))", token: ServerFixture.token).text
        )
        // 未填部门 labels instances without a department; the workbook's definitions sheet explains it to everyone,
        // and the head's own figures leave those instances out (checked by the query test above).
        let others = Set(stored.keys).subtracting(own).subtracting([StatisticsEngine.missingDeptLabel])
        #expect(others.contains(ServerFixture.hostileDept) && others.contains("生产部"))
        let other = try #require(others.sorted().first)
        let queries = [
            "overview all", "efficiency all", "trend 2025", "by dept count,pass_rate,participants all",
            "by user count all", "top 100 all", "list all limit 5000", "by category count all", "by status count all",
            "by month count all", "by field:提案类别 count all", "describe", "by dept count all where dept=生产部",
            "overview all where dept=\(other)", "list all where status=RUNNING",
        ]
        var targets = [
            "/", "/?period=2025", "/?period=2025-11", "/?period=2025-Q4", "/list", "/list?period=all",
            "/list?period=all&status=RUNNING", "/?dept=\(encoded(other))", "/list?dept=\(encoded(other))",
            "/list?period=all&dept=\(encoded(other))", "/api/report?period=2025-11&dept=\(encoded(other))",
            "/metrics", "/healthz",
        ]
        targets += own.map { "/?dept=\(encoded($0))" } + own.map { "/list?period=all&dept=\(encoded($0))" }
        targets += queries.map { "/api/query?q=\(encoded($0))" }
        var bodies: [(String, String)] = []
        for target in targets {
            let reply = try await fixture.get(target, cookies: cookies)
            #expect([200, 403].contains(reply.status), "\(target) answered \(reply.status)")
            bodies.append((target, reply.text))
        }
        for period in ["2025-11", "2025-Q4", "2025"] {
            let reply = try await fixture.get("/api/report?period=\(period)", cookies: cookies)
            #expect(reply.status == 200)
            let text = try workbookText(reply.body)
            #expect(text.contains(Self.headedDepartment))
            bodies.append(("/api/report?period=\(period)", text))
        }
        for (target, text) in bodies {
            for name in others {
                for form in [name, htmlEscaped(name), encoded(name)] {
                    let leaks = text.contains(form)
                    #expect(!leaks, "\(target) shows the department \(name)")
                }
            }
            let leaksRow = text.contains("HOSTILE")
            #expect(!leaksRow, "\(target) shows an instance of another department")
        }
        let listed = try await fixture.get("/list?period=all", cookies: cookies).text
        #expect(
            listed.components(separatedBy: "<tr>").count - 2 == min(own.compactMap { stored[$0] }.reduce(0, +), 500)
        )
    }

    @Test func aHeadAskingForHisDepartmentWithoutDataIsNotToldTheOthers() async throws {
        let empty = "销售部"
        let fixture = try await LoginFixture(stored: ServerFixture.records.filter { $0.originatorDeptName != empty })
        let organisation = fixture.organisation
        let dept = try #require(organisation.departments.first { $0.name == Self.headedDepartment })
        #expect(organisation.subtree(of: dept.id).contains { $0.name == empty })
        let head = try #require(organisation.heads[dept.id])
        let session = try #require(try await fixture.signIn(as: head).session)
        let cookies = ["leanstats_session": session]
        for target in ["/?dept=\(encoded(empty))", "/api/report?period=2025-11&dept=\(encoded(empty))"] {
            let reply = try await fixture.get(target, cookies: cookies)
            #expect(reply.status == 404, "\(target)")
            let names = reply.text.contains("生产部") || reply.text.contains("质量部")
            #expect(!names, "\(target) lists other departments: \(reply.text)")
        }
    }

    @Test func aMemberSeesCompanyTotalsOnlyAndIsToldWhy() async throws {
        let fixture = try await LoginFixture()
        let organisation = fixture.organisation
        let leaders = Set(organisation.heads.values).union(organisation.admins)
        let member = try #require(organisation.userIds.first { !leaders.contains($0) })
        let session = try #require(try await fixture.signIn(as: member).session)
        let cookies = ["leanstats_session": session]
        let page = try await fixture.get("/", cookies: cookies)
        #expect(page.status == 200)
        #expect(page.text.contains("您只能查看全公司的汇总数字"))
        #expect(page.text.contains("提案总数") && page.text.contains("月度趋势"))
        for dept in organisation.departments where dept.id != 1 {
            let shown = page.text.contains(dept.name)
            #expect(!shown, "the page shows \(dept.name)")
        }
        let links = page.text.contains("/list")
        #expect(!links)
        let overview = try await fixture.get("/api/query?q=\(encoded("overview all"))", cookies: cookies)
        let company = try await fixture.get("/api/query?q=\(encoded("overview all"))", token: ServerFixture.token)
        #expect(overview.status == 200)
        #expect(overview.text == company.text)
        #expect(try await fixture.get("/api/query?q=\(encoded("trend 2025"))", cookies: cookies).status == 200)
        for refused in [
            "by dept count all", "top 10 all", "list all", "by user count all", "overview all where dept=生产部",
            "overview all where dept in (生产部, 质量部)", "overview all where status=RUNNING or dept=生产部",
            "overview all where user=u1", "trend 2025 where (dept=生产部 or dept=质量部) and status=COMPLETED",
        ] {
            let reply = try await fixture.get("/api/query?q=\(encoded(refused))", cookies: cookies)
            #expect(reply.status == 403, "\(refused)")
            #expect(reply.text.contains("company totals only"))
        }
        #expect(try await fixture.get("/list", cookies: cookies).status == 403)
        #expect(try await fixture.get("/?dept=\(encoded("生产部"))", cookies: cookies).status == 403)
        let report = try await fixture.get("/api/report?period=2025-11", cookies: cookies)
        #expect(report.status == 403)
        #expect(report.text.contains("the Excel report is not available to you"))
    }

    @Test func aHeadsOrFilterCannotReachPastHisDepartmentsAndTyposSuggestNoOtherName() async throws {
        let fixture = try await LoginFixture()
        let organisation = fixture.organisation
        let dept = try #require(organisation.departments.first { $0.name == Self.headedDepartment })
        let head = try #require(organisation.heads[dept.id])
        let session = try #require(try await fixture.signIn(as: head).session)
        let cookies = ["leanstats_session": session]
        let own = Set(organisation.subtree(of: dept.id).map(\.name))
        let mine = try await fixture.get("/api/query?q=\(encoded("overview all"))", cookies: cookies).text
        for line in [
            "overview all where status=RUNNING or status=COMPLETED or status=NEW or status=TERMINATED or status=CANCELED",
            "overview all where dept=生产部 or category=安全改善 or status=RUNNING",
        ] {
            let reply = try await fixture.get("/api/query?q=\(encoded(line))", cookies: cookies)
            #expect(reply.status == 200, "\(line)")
            let count =
                try #require(
                    try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
                )["count"] as? Int
            let all = try #require(try JSONSerialization.jsonObject(with: Data(mine.utf8)) as? [String: Any])
            #expect(count ?? .max <= all["count"] as? Int ?? -1, "\(line) counts more than the head may see")
        }
        let typo = try await fixture.get("/api/query?q=\(encoded("overview all where dept=生产部门"))", cookies: cookies)
        #expect(typo.status == 400)
        #expect(!typo.text.contains("生产部\""), "a head is not told other departments' names")
        #expect(!typo.text.contains("suggestion"))
        #expect(!own.contains("生产部"))
    }

    @Test func aPersonPageKeepsToTheViewersScope() async throws {
        let fixture = try await LoginFixture()
        let organisation = fixture.organisation
        let dept = try #require(organisation.departments.first { $0.name == Self.headedDepartment })
        let own = Set(organisation.subtree(of: dept.id).map(\.name))
        let head = try #require(organisation.heads[dept.id])
        let cookies = ["leanstats_session": try #require(try await fixture.signIn(as: head).session)]
        let users = try #require(
            try JSONSerialization.jsonObject(
                with: Data(
                    try await fixture.get("/api/query?q=\(encoded("by user count all"))", token: ServerFixture.token)
                        .body
                )
            ) as? [[String: Any]]
        )
        let insider = try #require(users.first { own.contains($0["dept"] as? String ?? "") })
        let outsider = try #require(users.first { !own.contains($0["dept"] as? String ?? "") && $0["dept"] != nil })
        let mine = try await fixture.get("/person?user=\(encoded(insider["user_id"] as! String))", cookies: cookies)
        #expect(mine.status == 200)
        #expect(mine.text.contains(htmlEscaped(insider["user"] as! String)))
        let theirs = try await fixture.get("/person?user=\(encoded(outsider["user_id"] as! String))", cookies: cookies)
        #expect(theirs.status == 404)
        #expect(!theirs.text.contains(htmlEscaped(outsider["user"] as! String)))
        let leaders = Set(organisation.heads.values).union(organisation.admins)
        let member = try #require(organisation.userIds.first { !leaders.contains($0) })
        let memberCookies = ["leanstats_session": try #require(try await fixture.signIn(as: member).session)]
        let refused = try await fixture.get(
            "/person?user=\(encoded(insider["user_id"] as! String))",
            cookies: memberCookies
        )
        #expect(refused.status == 403)
    }

    @Test func anAdminSeesEveryDepartment() async throws {
        let fixture = try await LoginFixture()
        let admin = try #require(fixture.organisation.admins.first)
        let session = try #require(try await fixture.signIn(as: admin).session)
        let cookies = ["leanstats_session": session]
        let query = "/api/query?q=\(encoded("by dept count all"))"
        #expect(
            try await fixture.get(query, cookies: cookies).text
                == (try await fixture.get(query, token: ServerFixture.token).text)
        )
        #expect(try await fixture.get("/", cookies: cookies).text.contains("管理员"))
        #expect(try await fixture.get("/api/report?period=2025-11", cookies: cookies).status == 200)
    }

    @Test func logoutEndsTheSessionAndPagesThenGoToTheLogin() async throws {
        let fixture = try await LoginFixture()
        let admin = try #require(fixture.organisation.admins.first)
        let session = try #require(try await fixture.signIn(as: admin).session)
        let cookies = ["leanstats_session": session]
        #expect(try await fixture.get("/", cookies: cookies).status == 200)
        let logout = try await fixture.get("/logout", cookies: cookies)
        #expect(logout.status == 200)
        #expect(logout.setCookie("leanstats_session")?.contains("Max-Age=0") == true)
        let after = try await fixture.get("/", cookies: cookies)
        #expect(after.status == 303)
        #expect(after.header("location") == "/login")
        #expect(try await fixture.get("/api/query?q=describe", cookies: cookies).status == 401)
    }

    @Test func theBearerTokenKeepsFullAccessWithTheLoginOn() async throws {
        let fixture = try await LoginFixture()
        let reply = try await fixture.get("/api/query?q=\(encoded("by dept count all"))", token: ServerFixture.token)
        #expect(reply.status == 200)
        #expect(try rows(reply.text).keys.contains(ServerFixture.hostileDept))
        #expect(try await fixture.get("/api/report?period=2025-11", token: ServerFixture.token).status == 200)
    }

    /// `dept → count` of a `by dept count` answer.
    private func rows(_ json: String) throws -> [String: Int] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        let array = try #require(object as? [[String: Any]])
        var rows: [String: Int] = [:]
        for row in array {
            if let dept = row["dept"] as? String, let count = row["count"] as? Int { rows[dept] = count }
        }
        return rows
    }

    /// Every XML part of a workbook as text, unpacked by `unzip` from a real file.
    private func workbookText(_ bytes: [UInt8]) throws -> String {
        let directory = try TemporaryDirectory(prefix: "leanstats-login-xlsx")
        defer { directory.remove() }
        let path = directory.file("report.xlsx")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
        process.arguments = ["-p", path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }
}
