import LeanStatsCore
import LeanStatsQuery
import Testing

/// `vs yoy` compares a whole month, quarter or year with the whole one a year earlier, leap days included, and a
/// range of days with the same dates.
struct YearAgoComparisonTests {
    static let today = CivilDate(year: 2025, month: 3, day: 10)

    /// The days `vs yoy` compares a period with, as `first..last`.
    private func yearAgo(_ text: String) throws -> String {
        let period = try PeriodSpec(parsing: text)
        let range = try #require(Comparison.yearAgo.dayRange(for: period, today: Self.today))
        return "\(CivilDate(dayNumber: range.first))..\(CivilDate(dayNumber: range.last))"
    }

    @Test(arguments: [
        ("2025-02", "2024-02-01..2024-02-29"),
        ("2024-02", "2023-02-01..2023-02-28"),
        ("2025-Q1", "2024-01-01..2024-03-31"),
        ("2025", "2024-01-01..2024-12-31"),
        ("2025-01..2025-02", "2024-01-01..2024-02-29"),
        ("2024-12..2025-02", "2023-12-01..2024-02-29"),
        ("2025-Q1..2025-Q2", "2024-01-01..2024-06-30"),
        ("last-month", "2024-02-01..2024-02-29"),
        ("2025-02-10..2025-02-28", "2024-02-10..2024-02-28"),
        ("2025-02-28", "2024-02-28..2024-02-28"),
        ("2024-02-29", "2023-02-28..2023-02-28"),
        ("2025-02-01..2025-03", "2024-02-01..2024-03-31"),
    ])
    func aYearAgoCoversTheCorrespondingPeriod(_ period: String, _ expected: String) throws {
        #expect(try yearAgo(period) == expected)
    }

    static let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    static func record(_ id: String, _ created: String) -> InstanceRecord {
        InstanceRecord(
            instanceId: id,
            businessId: "B-\(id)",
            title: "提案 \(id)",
            createTime: clock.parseLocal(created)!,
            finishTime: nil,
            status: .running,
            result: nil,
            originatorUserId: "u1",
            originatorUserName: "名u1",
            originatorDeptId: "1",
            originatorDeptName: "生产部",
            formFields: []
        )
    }

    static let executor: QueryExecutor = {
        var builder = InstanceTableBuilder()
        for record in [
            record("a", "2024-02-01 09:00:00"),
            record("b", "2024-02-28 09:00:00"),
            record("c", "2024-02-29 09:00:00"),
            record("d", "2024-02-29 23:59:59"),
            record("e", "2025-02-03 09:00:00"),
            record("f", "2025-02-28 18:00:00"),
        ] {
            builder.upsert(record)
        }
        return QueryExecutor(engine: StatisticsEngine(table: builder.build(), clock: clock), today: today)
    }()

    @Test func februaryComparedWithTheLeapFebruaryBeforeCountsTheTwentyNinth() throws {
        let table = try Self.executor.run("overview 2025-02 vs yoy")
        let count = try #require(table.columns.firstIndex(of: "count"))
        let previous = try #require(table.columns.firstIndex(of: "count_prev"))
        #expect(table.rows.first?[count] == 2)
        #expect(table.rows.first?[previous] == 4, "all of 2024-02, the 29th included")
        #expect(try Self.executor.run("overview 2025-Q1 vs yoy").rows.first?[previous] == 4)
        #expect(try Self.executor.run("overview 2025-02 vs 2024-02").rows == table.rows)
    }

    @Test func aRangeOfDaysEndingOnTheTwentyEighthComparesWithTheSameDates() throws {
        let table = try Self.executor.run("overview 2025-02-02..2025-02-28 vs yoy")
        let count = try #require(table.columns.firstIndex(of: "count"))
        let previous = try #require(table.columns.firstIndex(of: "count_prev"))
        #expect(table.rows.first?[count] == 2)
        #expect(table.rows.first?[previous] == 1, "2024-02-02..2024-02-28 holds only the 28th")
    }
}
