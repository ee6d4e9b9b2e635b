import LeanStatsCore
import LeanStatsQuery
import LeanStatsTestSupport
import Testing

/// Definitions whose answers a plant manager forwards unchanged: comparisons with periods the data does not
/// cover, groups without a department or category, ties in rankings, `by user` columns and rates of nothing.
struct SharedDefinitionsTests {
    static let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    static func record(
        _ id: String,
        _ created: String,
        dept: String? = "生产部",
        category: String? = "安全改善",
        user: String = "u1",
        status: InstanceStatus = .completed,
        days: Int? = 2
    ) -> InstanceRecord {
        definitionRecord(
            id,
            created,
            clock: clock,
            dept: dept,
            category: category,
            user: user,
            status: status,
            days: days
        )
    }

    /// Data from 2024-12-05 to 2025-11-05: December is the only month of 2024.
    static let records = [
        record("a1", "2024-12-05 09:00:00"),
        record("a2", "2025-01-10 09:00:00", dept: nil, category: nil, user: "u2", status: .running),
        record("a3", "2025-03-03 09:00:00", dept: "质量部", user: "u3", days: 40),
        record("a4", "2025-10-08 09:00:00", user: "u1"),
        record("a5", "2025-11-02 09:00:00", user: "u1"),
        record("a6", "2025-11-03 09:00:00", dept: nil, category: nil, user: "u4", days: 5),
        record("a7", "2025-11-04 09:00:00", dept: "质量部", user: "u3", status: .running),
        record("a8", "2025-11-05 09:00:00", dept: "质量部", category: nil, user: "u5", status: .running),
    ]

    static func executor(today: CivilDate = CivilDate(year: 2025, month: 11, day: 20)) -> QueryExecutor {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return QueryExecutor(engine: StatisticsEngine(table: builder.build(), clock: clock), today: today)
    }

    /// A query's printed result and its warnings.
    struct Answer {
        var output: String
        var warnings: [String]
    }

    static func run(_ line: String, _ format: OutputFormat = .csv, today: CivilDate? = nil) throws -> Answer {
        let result = try (today.map { executor(today: $0) } ?? executor()).run(line)
        return Answer(output: format.render(result), warnings: result.warnings)
    }

    // MARK: - Comparisons with periods the data does not cover

    @Test func aComparisonWithAYearHoldingOneMonthWarnsThatItIsOnlyPartlyCovered() throws {
        let answer = try Self.run("overview 2025 vs prev")
        #expect(
            answer.warnings == [
                "the comparison period prev (2024-01-01..2024-12-31) is only partly covered: the data covers "
                    + "2024-12-05..2025-11-05 by creation time, so the changes compare a shorter span with a longer one"
            ]
        )
        #expect(answer.output.hasPrefix("count,count_prev,count_change,count_change_pct,"))
        #expect(answer.output.contains("\n7,1,6,600,"))
    }

    @Test func aComparisonWithAnEmptyYearWarnsAndHasNullChanges() throws {
        let answer = try Self.run("overview 2024 vs yoy", .json)
        #expect(
            answer.warnings == [
                "the comparison period yoy (2023-01-01..2023-12-31) holds no instances: the data covers "
                    + "2024-12-05..2025-11-05 by creation time; the _change and _change_pct columns are null"
            ]
        )
        #expect(
            answer.output.hasPrefix("{\"count\":1,\"count_prev\":0,\"count_change\":null,\"count_change_pct\":null,")
        )
        #expect(answer.output.contains("\"pass_rate\":100.0,\"pass_rate_prev\":0.0,\"pass_rate_change\":null,"))
    }

    @Test func aRelativePeriodAfterTheDataEndsWarnsThatItIsEmpty() throws {
        let answer = try Self.run("overview last-month", today: CivilDate(year: 2026, month: 1, day: 15))
        #expect(
            answer.warnings == [
                "no instances in last-month (2025-12-01..2025-12-31): the data covers 2024-12-05..2025-11-05 "
                    + "by creation time"
            ]
        )
        #expect(answer.output == "count,passed,pass_rate,participants,depts\n0,0,0,0,0\n")
    }

    @Test(arguments: ["overview 2025-11 vs prev", "by dept count 2025-11 vs 2025-03", "top 3 2025", "overview all"])
    func aPeriodInsideTheDataHasNoWarnings(_ line: String) throws {
        #expect(try Self.run(line).warnings.isEmpty)
    }

    @Test func aGroupWithoutInstancesInTheEarlierPeriodHasNullChanges() throws {
        let answer = try Self.run("by dept count 2025-11 vs prev")
        #expect(
            answer.output == """
                dept,count,count_prev,count_change,count_change_pct
                质量部,2,0,,
                未填部门,1,0,,
                生产部,1,1,0,0

                """
        )
    }

    // MARK: - Groups that add up

    @Test func instancesWithoutADepartmentFormTheirOwnRowSoTheRowsAddUp() throws {
        #expect(
            try Self.run("by dept count,passed 2025-11").output == """
                dept,count,passed
                质量部,2,0
                未填部门,1,1
                生产部,1,1

                """
        )
        let rows = try Self.executor().run("by dept count all").rows
        #expect(rows.map { $0[0] } == ["生产部", "质量部", "未填部门"])
        #expect(rows.compactMap { if case .int(let n) = $0[1] { n } else { nil } }.reduce(0, +) == Self.records.count)
    }

    @Test func instancesWithoutACategoryFormTheRowUncategorised() throws {
        #expect(
            try Self.run("by category count,participants 2025").output == """
                category,count,participants
                安全改善,4,2
                未分类,3,3

                """
        )
    }

    // MARK: - Rankings and users

    @Test func topKeepsEveryoneTiedAtTheCutOff() throws {
        #expect(
            try Self.run("top 2 2025-11").output == """
                user_id,user,dept,count,passed,pass_rate
                u1,名u1,生产部,1,1,100
                u3,名u3,质量部,1,0,0
                u4,名u4,,1,1,100
                u5,名u5,质量部,1,0,0

                """
        )
        #expect(try Self.executor().run("top 1 2025").rows.count == 2)
        #expect(try Self.executor().run("top 1 all").rows.count == 1)
    }

    @Test func byUserShowsTheUserIdAndDepartmentBesideTheName() throws {
        #expect(
            try Self.run("by user count,passed 2025-11").output == """
                user_id,user,dept,count,passed
                u1,名u1,生产部,1,1
                u3,名u3,质量部,1,0
                u4,名u4,,1,1
                u5,名u5,质量部,1,0

                """
        )
        #expect(
            try Self.run("by user count 2025-11 order by count desc limit 1", .json).output
                == "[{\"user_id\":\"u1\",\"user\":\"名u1\",\"dept\":\"生产部\",\"count\":1}]\n"
        )
    }

    // MARK: - Rates of nothing

    @Test func within30RateWithoutCompletionsIsNullInEveryFormat() throws {
        let line = "by dept completed,within30_rate 2025-11 where status=RUNNING"
        #expect(try Self.run(line, .json).output == "[{\"dept\":\"质量部\",\"completed\":0,\"within30_rate\":null}]\n")
        #expect(try Self.run(line, .csv).output == "dept,completed,within30_rate\n质量部,0,\n")
        #expect(
            try Self.run(line, .table).output == """
                dept    completed  within30_rate
                ------  ---------  -------------
                质量部          0  –

                """
        )
    }
}
