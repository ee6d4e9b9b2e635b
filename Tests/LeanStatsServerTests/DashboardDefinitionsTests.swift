import Foundation
import LeanStatsCore
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

/// The dashboard and `/api/query` use the definitions of the query language and the report: unfilled groups,
/// one denominator for category shares, rates of nothing, calendar-day ages, the as-of time and warnings.
@Suite(.serialized) struct DashboardDefinitionsTests {
    let fixture: ServerFixture

    init() async throws {
        fixture = try await ServerFixture()
    }

    static func record(
        _ id: String,
        _ created: String,
        dept: String? = "生产部",
        category: String? = "安全改善",
        user: String = "u1",
        status: InstanceStatus = .completed,
        days: Int = 2
    ) -> InstanceRecord {
        definitionRecord(
            id,
            created,
            clock: ServerFixture.clock,
            dept: dept,
            category: category,
            user: user,
            status: status,
            days: days
        )
    }

    /// Replaces the served store with a small one whose newest creation is 2025-11-05 09:00 and whose newest
    /// finish is 2025-11-15 09:00.
    func serveSmallStore() throws {
        let records = [
            Self.record("a1", "2025-01-10 09:00:00", status: .running),
            Self.record("a2", "2025-10-28 23:00:00", user: "u2", status: .running),
            Self.record("a3", "2025-11-02 09:00:00", days: 13),
            Self.record("a4", "2025-11-03 09:00:00", dept: nil, category: nil, user: "u4", days: 5),
            Self.record("a5", "2025-11-04 09:00:00", dept: "质量部", user: "u3", status: .running),
            Self.record("a6", "2025-11-05 09:00:00", dept: "质量部", category: nil, user: "u5", status: .running),
        ]
        try SnapshotStore(directory: fixture.directory.path).write(ServerFixture.table(records))
        try #require(try fixture.poll("/healthz") { $0.text.contains("\"generation\":2") }.status == 200)
    }

    @Test func departmentsWithoutANameAndCategorySharesOfThePeriodAddUp() throws {
        try serveSmallStore()
        let html = try fixture.get("/?period=2025-11").text
        #expect(html.contains("<title>未填部门 1件 · 100.0%</title>"))
        // Shares of the period's 4 instances: 2 without a category, 2 with one.
        #expect(html.contains("<title>未分类：50.0%</title>"))
        #expect(html.contains("<title>安全改善：50.0%</title>"))
    }

    @Test func within30RateWithoutCompletionsShowsADash() throws {
        try serveSmallStore()
        let html = try fixture.get("/?period=2025-01").text
        #expect(html.contains("<span class=\"k\">30天内办结率</span><span class=\"v\">–</span>"))
    }

    @Test func openAgesAreCalendarDaysAtTheNewestCreation() throws {
        try serveSmallStore()
        let html = try fixture.get("/?period=2025-11").text
        #expect(html.contains("数据截至 2025-11-05 09:00"))
        // a2 was created 7 days and 10 hours before the as-of time, on a calendar day 8 days earlier.
        #expect(html.contains("<title>8–15天：1</title>"))
        #expect(html.contains("<title>7天内：2</title>"))
    }

    @Test func theQueryAPIWarnsInAHeaderAndKeepsTheBody() throws {
        let line = "overview 2025 vs prev"
        let reply = try fixture.get("/api/query?q=" + encoded(line))
        #expect(reply.status == 200)
        #expect(
            reply.headers["x-leanstats-warning"]
                == "the comparison period prev (2024-01-01..2024-12-31) is only partly covered: the data covers "
                + "2024-12-01..2025-11-30 by creation time, so the changes compare a shorter span with a longer one"
        )
        #expect(reply.text.hasPrefix("{\"count\":"))
        #expect(
            try fixture.get("/api/query?q=" + encoded("overview 2025-11 vs prev")).headers["x-leanstats-warning"] == nil
        )
    }
}
