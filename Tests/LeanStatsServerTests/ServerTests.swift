import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsServer
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

@Suite(.serialized) struct ServerTests {
    let fixture: ServerFixture

    init() async throws {
        fixture = try await ServerFixture(allowedHosts: ["stats.example.com"])
    }

    @Test func requestsWithoutTheTokenAreRefused() throws {
        #expect(try fixture.get("/", token: nil).status == 401)
        #expect(try fixture.get("/api/query?q=describe", token: nil).status == 401)
        #expect(try fixture.get("/api/query?q=describe", token: "wrong").status == 401)
        #expect(try fixture.get("/list", token: nil, headers: ["Cookie": "leanstats_session=guess"]).status == 401)
        let open = try fixture.get("/", token: ServerFixture.token)
        #expect(open.status == 200)
        #expect(open.headers["content-security-policy"]?.contains("default-src 'none'") == true)
    }

    @Test func metricsAndHealthNeedNoToken() throws {
        #expect(try fixture.get("/metrics", token: nil).status == 200)
        let health = try fixture.get("/healthz", token: nil)
        #expect(health.status == 200)
        #expect(health.text.contains("\"status\":\"ok\""))
    }

    @Test func aTokenLinkSetsASessionCookieAndDropsTheToken() throws {
        let first = try fixture.get("/?token=\(ServerFixture.token)&period=2025-10", token: nil)
        #expect(first.status == 303)
        #expect(first.headers["location"] == "/?period=2025-10")
        let cookie = try #require(first.headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let session = String(cookie.split(separator: ";")[0])
        let second = try fixture.get("/?period=2025-10", token: nil, headers: ["Cookie": session])
        #expect(second.status == 200)
        #expect(try fixture.get("/?token=wrong", token: nil).status == 401)
    }

    @Test func requestsForAnotherHostAreRefused() throws {
        #expect(try fixture.get("/healthz", host: "evil.example:\(fixture.port)").status == 403)
        #expect(try fixture.get("/", host: "rebind.attacker.test").status == 403)
        #expect(try fixture.get("/healthz", host: "localhost:\(fixture.port)").status == 200)
        #expect(try fixture.get("/healthz", host: "stats.example.com").status == 200)
    }

    @Test func theQueryAPIAnswersWhatTheQueryCommandPrints() throws {
        let executor = try fixture.executor()
        let lines = [
            "overview 2025-11 vs prev", "by dept count,pass_rate,participants 2025-11", "top 5 2025-Q4",
            "efficiency 2025", "trend 2025-01..2025-11", "list 2025-11 where status=RUNNING limit 5",
            "by category count all where dept=生产部",
        ]
        for line in lines {
            let reply = try fixture.get("/api/query?q=" + encoded(line))
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(reply.text == JSONFormatter().render(try executor.run(line)), "\(line)")
        }
    }

    @Test func aQueryErrorIsJSONWithItsPosition() throws {
        let reply = try fixture.get("/api/query?q=" + encoded("by dept pass_rat 2025-11"))
        #expect(reply.status == 400)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
        #expect(object["column"] as? Int == 9)
        #expect(object["word"] as? String == "pass_rat")
        #expect((object["error"] as? String)?.contains("did you mean 'pass_rate'") == true)
        #expect(try fixture.get("/api/query").status == 400)
    }

    @Test func aMisspelledFilterValueIsAJSONErrorInTheAPIAndAnErrorPageInTheList() throws {
        let reply = try fixture.get("/api/query?q=" + encoded("by dept count 2025-11 where dept=生产部门"))
        #expect(reply.status == 400)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
        #expect(object["code"] as? String == "unknownValue")
        #expect(object["column"] as? Int == 34)
        #expect(object["word"] as? String == "生产部门")
        #expect(object["suggestion"] as? String == "生产部")
        #expect(object["error"] as? String == "unknown dept '生产部门' at column 34; did you mean '生产部'?")
        let list = try fixture.get("/list?period=2025-11&dept=" + encoded("生产部门"))
        #expect(list.status == 400)
        #expect(list.text.contains("unknown dept &#39;生产部门&#39;"))
        #expect(list.text.contains("did you mean &#39;生产部&#39;?"))
        let running = try fixture.get("/list?period=2025-11&status=" + encoded("审批中"))
        #expect(running.status == 200)
        #expect(running.text.contains("RUNNING"))
        #expect(!running.text.contains("COMPLETED"))
    }

    @Test func metricsAreInThePrometheusTextFormat() throws {
        _ = try fixture.get("/api/query?q=overview%20all")
        let reply = try fixture.get("/metrics", token: nil)
        #expect(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let sample = try Regex(
            #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+Inf]+$"#
        )
        var families: Set<String> = []
        for line in reply.text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                families.insert(String(line.split(separator: " ")[2]))
            } else if !line.hasPrefix("# HELP ") {
                #expect(line.wholeMatch(of: sample) != nil, "\(line)")
                #expect(line.hasPrefix("leanstats_"))
            }
        }
        for name in [
            "leanstats_instances", "leanstats_snapshot_bytes", "leanstats_query_duration_seconds",
            "leanstats_snapshot_created_timestamp_seconds", "leanstats_last_successful_sync_timestamp_seconds",
            "leanstats_sync_duration_seconds", "leanstats_dingtalk_calls", "leanstats_dingtalk_quota_used_ratio",
        ] {
            #expect(families.contains(name), "\(name)")
        }
        #expect(
            reply.text.contains(
                #"leanstats_dingtalk_calls{api="/v1.0/workflow/processInstances",outcome="throttled"} 3"#
            )
        )
        #expect(reply.text.contains("leanstats_sync_duration_seconds 2.5"))
        // This month's pushes against the default budget of 3,000.
        #expect(reply.text.contains("\nleanstats_dingtalk_pushes 750\n"))
        #expect(reply.text.contains("\nleanstats_dingtalk_push_used_ratio 0.25\n"))
        #expect(reply.text.contains("leanstats_last_successful_sync_timestamp_seconds 1764518400"))
        #expect(reply.text.contains("leanstats_instances{status=\"RUNNING\"} 344"))
        #expect(reply.text.contains("leanstats_query_duration_seconds_bucket{le=\"+Inf\"}"))
        #expect(reply.text.contains("leanstats_query_duration_seconds_count "))
    }

    @Test func theDashboardHasItsChartsAndEscapesText() throws {
        let reply = try fixture.get("/")
        #expect(reply.status == 200)
        let html = reply.text
        #expect(html.contains("精益提案看板"))
        #expect(html.contains("2025年11月"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 6)
        for title in ["各部门提案数与通过率", "月度趋势", "提案类别占比", "个人排行榜", "处理时长分布", "未结提案账龄"] {
            #expect(html.contains(title), "\(title)")
        }
        #expect(html.contains("href=\"/list?period=2025-11&amp;dept="))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;部"))
        #expect(!html.contains("http://") || !html.contains("src=\"http"))
        let list = try fixture.get("/list?period=2025-11&dept=" + encoded(ServerFixture.hostileDept))
        #expect(list.status == 200)
        #expect(list.text.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!list.text.contains("<img"))
        let oneDept = try fixture.get("/?period=2025-Q4&dept=" + encoded("生产部"))
        #expect(oneDept.status == 200)
        #expect(oneDept.text.contains("<option value=\"生产部\" selected>"))
        #expect(try fixture.get("/?dept=" + encoded("没有这个部门")).status == 400)
    }

    @Test func theDashboardAndTheReportCoverAHalfYearAndACustomRange() throws {
        let half = try fixture.get("/?period=2025-H2")
        #expect(half.status == 200)
        #expect(half.text.contains("2025年下半年"))
        #expect(half.text.contains("对比上期 2025年上半年"))
        #expect(half.text.contains("<option value=\"2025-H2\" selected>"))
        let range = try fixture.get("/?period=" + encoded("2025-09..2025-11"))
        #expect(range.status == 200)
        #expect(range.text.contains("2025年9月至2025年11月"))
        #expect(range.text.contains("对比上期 2025年6月至2025年8月"))
        #expect(range.text.contains("value=\"2025-09..2025-11\"></label>"))
        let workbook = try fixture.get("/api/report?period=2025-H2")
        #expect(workbook.status == 200)
        #expect(workbook.body.starts(with: Array("PK".utf8)))
        #expect(try fixture.get("/api/report?period=" + encoded("2025-09..2025-11")).status == 200)
        #expect(try fixture.get("/?period=2025-H3").status == 400)
    }

    @Test func aPersonPageShowsOneProposersFiguresMonthsAndProposals() throws {
        let top = try fixture.get("/api/query?q=" + encoded("by user count,passed all order by count desc limit 1"))
        let row = try #require(
            (try JSONSerialization.jsonObject(with: Data(top.body)) as? [[String: Any]])?.first
        )
        let user = try #require(row["user_id"] as? String)
        let name = try #require(row["user"] as? String)
        let count = try #require(row["count"] as? Int)
        let page = try fixture.get("/person?user=" + encoded(user))
        #expect(page.status == 200)
        #expect(page.text.contains("<h1>\(htmlEscaped(name))</h1>"))
        #expect(page.text.contains("用户 ID \(htmlEscaped(user))"))
        #expect(page.text.contains("<span class=\"k\">提案数</span><span class=\"v\">\(count)</span>"))
        // One table row per proposal, under the months table.
        let proposals = try #require(page.text.components(separatedBy: "<h2>提案").last)
        #expect(proposals.components(separatedBy: "<tr>").count - 2 == min(count, 500))
        let dashboard = try fixture.get("/?period=2025-11")
        #expect(dashboard.text.contains("/person?user="))
        let misspelled = try fixture.get("/person?user=" + encoded(user + "x"))
        #expect(misspelled.status == 400)
        #expect(misspelled.text.contains("unknown user"))
        #expect(try fixture.get("/person").status == 400)
    }

    @Test func theReportDownloadsAsAWorkbook() throws {
        let reply = try fixture.get("/api/report?period=2025-11")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        let disposition = try #require(reply.headers["content-disposition"])
        #expect(disposition.hasPrefix("attachment; filename=\"leanstats-report-2025-11.xlsx\""))
        #expect(
            disposition.hasSuffix(
                "filename*=UTF-8''%E7%B2%BE%E7%9B%8A%E6%8F%90%E6%A1%88%E6%8A%A5%E8%A1%A8-2025-11.xlsx"
            )
        )
        #expect(reply.body.starts(with: Array("PK".utf8)))
        #expect(try fixture.get("/api/report?period=2025-13").status == 400)
    }

    @Test func aNewSnapshotIsServedWithoutARestart() throws {
        #expect(try fixture.get("/healthz").text.contains("\"generation\":1"))
        let fewer = Array(ServerFixture.records.prefix(100))
        try SnapshotStore(directory: fixture.directory.path).write(ServerFixture.table(fewer))
        #expect(try fixture.poll("/healthz") { $0.text.contains("\"generation\":2") }.status == 200)
        #expect(try fixture.get("/api/query?q=overview%20all").text.hasPrefix("{\"count\":100,"))
    }

    @Test func onlyGETIsAnswered() throws {
        let reply = try HTTPReply.exchange(
            port: fixture.port,
            request: "POST /api/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        #expect(reply.status == 405)
    }
}
