import LeanStatsCore
import Testing

@testable import LeanStatsQuery

struct QueryParserTests {
    static let forms: [(String, Query)] = [
        ("overview 2025-11", .overview(QueryScope(period: .month(2025, 11)))),
        ("OVERVIEW 2025-q4", .overview(QueryScope(period: .quarter(2025, 4)))),
        ("overview ALL", .overview(QueryScope(period: .all))),
        (
            "overview 2025 where dept=生产部",
            .overview(QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: "生产部")))
        ),
        (
            "by dept pass_rate 2025-11",
            .breakdown(Breakdown(dimension: .dept, metrics: [.pass_rate], scope: QueryScope(period: .month(2025, 11))))
        ),
        (
            "by dept count,passed 2025-11",
            .breakdown(
                Breakdown(dimension: .dept, metrics: [.count, .passed], scope: QueryScope(period: .month(2025, 11)))
            )
        ),
        (
            "by dept count, passed 2025-11",
            .breakdown(
                Breakdown(dimension: .dept, metrics: [.count, .passed], scope: QueryScope(period: .month(2025, 11)))
            )
        ),
        (
            "by dept count ,passed , depts 2025-11",
            .breakdown(
                Breakdown(
                    dimension: .dept,
                    metrics: [.count, .passed, .depts],
                    scope: QueryScope(period: .month(2025, 11))
                )
            )
        ),
        (
            "BY Dept COUNT 2025-11 ORDER BY Pass_Rate ASC LIMIT 3",
            .breakdown(
                Breakdown(
                    dimension: .dept,
                    metrics: [.count],
                    scope: QueryScope(period: .month(2025, 11)),
                    order: SortOrder(.pass_rate, .asc),
                    limit: 3
                )
            )
        ),
        (
            "by category count,within30_rate 2025-Q4 where category=安全改善 and status=running",
            .breakdown(
                Breakdown(
                    dimension: .category,
                    metrics: [.count, .within30_rate],
                    scope: QueryScope(
                        period: .quarter(2025, 4),
                        filter: StatisticsFilter(category: "安全改善", status: .running)
                    )
                )
            )
        ),
        (
            "by user count 2025 order by passed",
            .breakdown(
                Breakdown(
                    dimension: .user,
                    metrics: [.count],
                    scope: QueryScope(period: .year(2025)),
                    order: SortOrder(.passed, .desc)
                )
            )
        ),
        (
            "by user avg_days,min_days,max_days,completed 2025 order by avg_days desc",
            .breakdown(
                Breakdown(
                    dimension: .user,
                    metrics: [.avg_days, .min_days, .max_days, .completed],
                    scope: QueryScope(period: .year(2025)),
                    order: SortOrder(.avg_days, .desc)
                )
            )
        ),
        (
            "by month count,participants 2025-01..2025-06 limit 12",
            .breakdown(
                Breakdown(
                    dimension: .month,
                    metrics: [.count, .participants],
                    scope: QueryScope(
                        period: .range(from: .month(year: 2025, month: 1), through: .month(year: 2025, month: 6))
                    ),
                    limit: 12
                )
            )
        ),
        (
            "by status count all",
            .breakdown(Breakdown(dimension: .status, metrics: [.count], scope: QueryScope(period: .all)))
        ),
        ("top 10 2025-11", .top(10, QueryScope(period: .month(2025, 11)))),
        (
            "top 3 2025 where dept=\"生产 部\"",
            .top(3, QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: "生产 部")))
        ),
        ("efficiency 2025-11-03", .efficiency(QueryScope(period: .day(2025, 11, 3)))),
        (
            "trend 2025-01..2025-06 where status=COMPLETED",
            .trend(
                QueryScope(
                    period: .range(from: .month(year: 2025, month: 1), through: .month(year: 2025, month: 6)),
                    filter: StatisticsFilter(status: .completed)
                )
            )
        ),
        (
            "overview 2025 where dept = 生产部 and category =安全改善",
            .overview(QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: "生产部", category: "安全改善")))
        ),
        (
            #"overview 2025 where dept="a \"quoted\" name""#,
            .overview(QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: #"a "quoted" name"#)))
        ),
        (
            #"overview 2025 where dept="x=y,z""#,
            .overview(QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: "x=y,z")))
        ),
        (
            #"overview 2025 where dept="back\\slash""#,
            .overview(QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: #"back\slash"#)))
        ),
        (
            "overview 2025 WHERE DEPT=MixedCase AND Status=New",
            .overview(QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: "MixedCase", status: .new)))
        ),
        (
            "overview 2025 where dept=and",
            .overview(QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: "and")))
        ),
        (
            "  overview\t2025\u{3000}where  dept=生产部  ",
            .overview(QueryScope(period: .year(2025), filter: StatisticsFilter(deptName: "生产部")))
        ),
    ]

    @Test(arguments: forms)
    func parsesEveryQueryForm(line: String, expected: Query) throws {
        #expect(try Query(parsing: line) == expected)
    }

    @Test func exposesPeriodAndFilterOfEveryForm() throws {
        let query = try Query(parsing: "top 5 2025-Q1 where dept=生产部 and status=RUNNING")
        #expect(query.period == .quarter(2025, 1))
        #expect(query.filter == StatisticsFilter(deptName: "生产部", status: .running))
        #expect(try Query(parsing: "overview all").filter == .none)
    }

    @Test func expandsTrendToAMonthlyBreakdown() throws {
        let trend = try Query(parsing: "trend 2025 where status=COMPLETED")
        #expect(
            trend.expanded
                == (try Query(parsing: "by month count,passed,pass_rate,participants 2025 where status=COMPLETED"))
        )
        let overview = try Query(parsing: "overview 2025")
        #expect(overview.expanded == overview)
    }

    @Test func namesTheResultColumnsOfEachForm() throws {
        #expect(
            try Query(parsing: "overview 2025").resultColumns == [
                "count", "passed", "pass_rate", "participants", "depts",
            ]
        )
        #expect(
            try Query(parsing: "top 3 2025").resultColumns == [
                "user_id", "user", "dept", "count", "passed", "pass_rate",
            ]
        )
        #expect(
            try Query(parsing: "efficiency 2025").resultColumns
                == ["avg_days", "min_days", "max_days", "completed", "within30_rate"]
        )
        #expect(try Query(parsing: "by dept pass_rate,count 2025").resultColumns == ["dept", "pass_rate", "count"])
        #expect(
            try Query(parsing: "trend 2025").resultColumns == ["month", "count", "passed", "pass_rate", "participants"]
        )
        #expect(try Query(parsing: "overview 2025").isSingleObject)
        #expect(try Query(parsing: "efficiency 2025").isSingleObject)
        #expect(try !Query(parsing: "trend 2025").isSingleObject)
    }

    @Test func sortsByAMetricThatIsNotShownWithoutAddingAColumn() throws {
        guard case .breakdown(let breakdown) = try Query(parsing: "by dept count 2025 order by pass_rate") else {
            Issue.record("not a breakdown")
            return
        }
        #expect(breakdown.metrics == [.count])
        #expect(breakdown.computedMetrics == [.count, .pass_rate])
        #expect(try Query(parsing: "by dept count 2025 order by pass_rate").resultColumns == ["dept", "count"])
    }

    @Test func listsMetricsInTheContractOrder() {
        #expect(
            Metric.allCases.map(\.rawValue) == [
                "count", "passed", "pass_rate", "participants", "depts", "avg_days", "min_days", "max_days",
                "completed", "within30_rate", "refused", "running", "benefit_sum", "p50_days", "p90_days",
                "participation_rate", "age_days",
            ]
        )
    }

    @Test func treatsAQuotedKeywordAsAValueNotAKeyword() {
        #expect(throws: QueryError.self) { try Query(parsing: #"by "dept" count 2025"#) }
        #expect(throws: QueryError.self) { try Query(parsing: #""overview" 2025"#) }
    }
}
