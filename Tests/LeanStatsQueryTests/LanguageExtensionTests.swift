import LeanStatsCore
import LeanStatsQuery
import LeanStatsTestSupport
import Testing

/// Relative periods, `vs` comparisons, form-field groupings, the new metrics, `list` and `describe`.
struct LanguageExtensionTests {
    static let clock = try! ZoneClock(identifier: "Asia/Shanghai")
    static let today = CivilDate(year: 2025, month: 11, day: 20)

    static func record(
        _ id: String,
        _ created: String,
        dept: String = "生产部",
        user: String = "u1",
        status: InstanceStatus = .completed,
        result: InstanceResult? = .agree,
        days: Int? = 2,
        benefit: String? = nil
    ) -> InstanceRecord {
        let create = clock.parseLocal(created)!
        var fields = [FormField(name: categoryFieldName, value: "安全改善")]
        if let benefit { fields.append(FormField(name: "预计收益(元)", value: benefit)) }
        return InstanceRecord(
            instanceId: id,
            businessId: "B-\(id)",
            title: "提案 \(id)",
            createTime: create,
            finishTime: status == .running ? nil : days.map { create + Int64($0) * 86_400 },
            status: status,
            result: status == .running ? nil : result,
            originatorUserId: user,
            originatorUserName: "名\(user)",
            originatorDeptId: dept == "生产部" ? "1" : "2",
            originatorDeptName: dept,
            formFields: fields
        )
    }

    static let executor: QueryExecutor = {
        var builder = InstanceTableBuilder()
        for record in [
            record("o1", "2025-10-05 09:00:00", days: 10, benefit: "100"),
            record("o2", "2025-10-06 09:00:00", dept: "质量部", user: "u2", result: .refuse, days: 20),
            record("n1", "2025-11-02 09:00:00", days: 1, benefit: "1,000"),
            record("n2", "2025-11-03 09:00:00", user: "u3", days: 3, benefit: "250.5"),
            record("n3", "2025-11-04 09:00:00", user: "u3", status: .running),
            record("y1", "2024-11-04 09:00:00", days: 5),
        ] {
            builder.upsert(record)
        }
        let engine = StatisticsEngine(table: builder.build(), clock: clock)
        return QueryExecutor(engine: engine, today: today, headcounts: ["生产部": 10, "质量部": 4])
    }()

    func json(_ line: String) throws -> String {
        JSONFormatter().render(try Self.executor.run(line))
    }

    @Test(arguments: [
        ("overview this-month", "overview this-month"),
        ("overview LAST   90D", "overview last 90d"),
        ("by dept count 2025-11 vs PREV", "by dept count 2025-11 vs prev"),
        ("by dept count 2025-11 vs 同比 where dept=生产部", "by dept count 2025-11 vs yoy where dept=生产部"),
        ("overview 2025-11 vs 2024-11", "overview 2025-11 vs 2024-11"),
        ("by field:提案类别 count ytd", "by field:提案类别 count ytd"),
        ("by field:\"预计 收益\" count all", "by field:\"预计 收益\" count all"),
        ("list 2025-11 where status=running limit 5", "list 2025-11 where status=RUNNING limit 5"),
        ("describe", "describe"),
        ("by quarter count,p50_days,benefit_sum last 6m", "by quarter count,p50_days,benefit_sum last 6m"),
    ])
    func newFormsPrintBackCanonicallyAndReparse(line: String, canonical: String) throws {
        let query = try Query(parsing: line)
        #expect(query.description == canonical)
        #expect(try Query(parsing: canonical) == query)
    }

    @Test(arguments: [
        (
            "top 10 2025-11 vs prev",
            "'vs' does not apply to this query at column 16; compare with 'vs' in overview, efficiency and by queries (not by month, quarter or year)"
        ),
        (
            "by month count 2025 vs prev",
            "'vs' does not apply to this query at column 21; compare with 'vs' in overview, efficiency and by queries (not by month, quarter or year)"
        ),
        ("overview all vs prev", "'vs' needs a period other than 'all' at column 14; e.g. overview 2025-11 vs prev"),
        (
            "overview last",
            "missing length after 'last' at column 14; expected a number of days or months such as last 90d or last 6m"
        ),
        (
            "overview last 90x",
            "invalid length '90x' after 'last' at column 15; expected a number of days or months such as last 90d or last 6m"
        ),
        ("by field: count all", "missing form field name after 'field:' at column 4; e.g. by field:提案类别 count 2025-11"),
        (
            "overview 2025-11 vs",
            "missing period after 'vs' at column 20; expected prev, yoy or a period such as 2025-10"
        ),
    ])
    func mistakesInTheNewFormsAreExplained(line: String, message: String) {
        #expect {
            _ = try Query(parsing: line)
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test func relativePeriodsCountFromTodayInTheConfiguredZone() throws {
        #expect(try json("overview this-month") == (try json("overview 2025-11")))
        #expect(try json("overview last-month") == (try json("overview 2025-10")))
        #expect(try json("overview ytd") == (try json("overview 2025-01-01..2025-11-20")))
        #expect(try json("overview last 30d") == (try json("overview 2025-10-22..2025-11-20")))
    }

    @Test func comparisonsGivePreviousValueChangeAndRelativeChange() throws {
        #expect(
            try json("overview 2025-11 vs prev")
                == "{\"count\":3,\"count_prev\":2,\"count_change\":1,\"count_change_pct\":50.0,"
                + "\"passed\":2,\"passed_prev\":1,\"passed_change\":1,\"passed_change_pct\":100.0,"
                + "\"pass_rate\":66.66666666666666,\"pass_rate_prev\":50.0,\"pass_rate_change\":16.666666666666657,"
                + "\"pass_rate_change_pct\":33.333333333333314,"
                + "\"participants\":2,\"participants_prev\":2,\"participants_change\":0,\"participants_change_pct\":0.0,"
                + "\"depts\":1,\"depts_prev\":2,\"depts_change\":-1,\"depts_change_pct\":-50.0}\n"
        )
        let byDept = try Self.executor.run("by dept count 2025-11 vs prev")
        #expect(byDept.columns == ["dept", "count", "count_prev", "count_change", "count_change_pct"])
        #expect(byDept.rows == [["生产部", 3, 1, 2, 200.0], ["质量部", 0, 1, -1, -100.0]])
        let yearAgo = try Self.executor.run("by dept count 2025-11 vs yoy")
        #expect(yearAgo.rows == [["生产部", 3, 1, 2, 200.0]])
    }

    @Test func groupsOnlyInTheEarlierPeriodComeLastInKeyOrderNotInTheirEarlierOrder() throws {
        var builder = InstanceTableBuilder()
        for record in [
            Self.record("a", "2025-11-02 09:00:00", dept: "生产部"),
            // October: 设备部 has more instances than 仓储部, but both have none in November.
            Self.record("b", "2025-10-02 09:00:00", dept: "设备部"),
            Self.record("c", "2025-10-03 09:00:00", dept: "设备部"),
            Self.record("d", "2025-10-04 09:00:00", dept: "仓储部"),
        ] {
            builder.upsert(record)
        }
        let executor = QueryExecutor(
            engine: StatisticsEngine(table: builder.build(), clock: Self.clock),
            today: Self.today
        )
        let table = try executor.run("by dept count 2025-11 vs prev")
        #expect(table.rows.map { $0[0] } == ["生产部", "仓储部", "设备部"])
        #expect(table.rows.map { $0[2] } == [0, 1, 2])
    }

    @Test func newMetricsCountRefusalsOpenInstancesBenefitPercentilesAndParticipation() throws {
        let table = try Self.executor.run(
            "by dept refused,running,benefit_sum,p50_days,p90_days,participation_rate 2025-10..2025-11"
        )
        #expect(
            table.rows == [
                ["生产部", 0, 1, 1350.5, 3.0, 8.600000000000001, 20.0],
                ["质量部", 1, 0, 0.0, 20.0, 20.0, 25.0],
            ]
        )
        #expect(
            try json("overview 2025-11")
                == "{\"count\":3,\"passed\":2,\"pass_rate\":66.66666666666666,\"participants\":2,\"depts\":1}\n"
        )
    }

    @Test func participationOfSeveralFilteredDepartmentsIsOverTheirSummedHeadcount() throws {
        // 2025-10: u1 in 生产部 (10 people) and u2 in 质量部 (4).
        let expected: [[ResultValue]] = [[2, .double(2.0 / 14 * 100)]]
        #expect(
            try Self.executor.run("overview participants,participation_rate 2025-10 where dept in (生产部, 质量部)").rows
                == expected
        )
        #expect(
            try Self.executor.run("overview participants,participation_rate 2025-10 where dept=生产部 or dept=质量部")
                .rows == expected
        )
        // Two alternatives that both name 质量部 (4 people): its headcount, not the organisation's 14.
        #expect(
            try Self.executor.run("overview participation_rate 2025-10 where dept=质量部 or dept=质量部 and result=none")
                .rows == [[25.0]]
        )
        // Not every alternative names a department: the whole organisation (14) is the base.
        #expect(
            try Self.executor.run("overview participation_rate 2025-10 where dept=生产部 or status=RUNNING").rows == [
                [.double(1.0 / 14 * 100)]
            ]
        )
    }

    @Test func orderByANewMetricAndLimitShapeTheRows() throws {
        let table = try Self.executor.run("by dept count 2025-10..2025-11 order by refused desc limit 1")
        #expect(table.rows == [["质量部", 1]])
    }

    @Test func calendarAndFieldGroupingsUseTheirOwnKeys() throws {
        #expect(try Self.executor.run("by quarter count all").rows == [["2024-Q4", 1], ["2025-Q4", 5]])
        #expect(try Self.executor.run("by year count all").rows == [["2024", 1], ["2025", 5]])
        #expect(try Self.executor.run("by result count 2025").rows == [["agree", 3], ["refuse", 1]])
        let field = try Self.executor.run("by field:提案类别 count all")
        #expect(field.columns == ["提案类别", "count"])
        #expect(field.rows == [["安全改善", 6]])
    }

    @Test func listShowsTheInstancesNewestFirst() throws {
        let table = try Self.executor.run("list 2025-11 limit 2")
        #expect(table.columns == Query.listColumns)
        #expect(
            table.rows == [
                ["B-n3", "提案 n3", "名u3", "生产部", "安全改善", "RUNNING", .null, "2025-11-04 09:00:00", .null, .null],
                [
                    "B-n2", "提案 n2", "名u3", "生产部", "安全改善", "COMPLETED", "agree", "2025-11-03 09:00:00",
                    "2025-11-06 09:00:00", 3,
                ],
            ]
        )
        #expect(try Self.executor.run("list 2025-11 where dept=质量部").rows.isEmpty)
    }

    @Test func describeCountsRowsAndMissingValuesPerColumn() throws {
        let table = try Self.executor.run("describe")
        #expect(table.rows[0] == ["instances", "rows", 6, 0, "2024-11-04 09:00:00", "2025-11-04 09:00:00"])
        #expect(table.rows.contains(["finish_time", "time", .null, 1, "2024-11-09 09:00:00", "2025-11-06 09:00:00"]))
        #expect(table.rows.contains(["form:预计收益(元)", "form field", 3, 3, .null, .null]))
        #expect(table.rows.contains(["dept_name", "text", 2, 0, .null, .null]))
    }
}
