import LeanStatsCore
import LeanStatsQuery
import Testing

/// `in (…)`, `or`, parentheses, `user=` and `result=`, status names, the values for missing departments and
/// categories, and filter values checked against the store.
struct FilterLanguageTests {
    static let clock = try! ZoneClock(identifier: "Asia/Shanghai")
    static let today = CivilDate(year: 2025, month: 11, day: 20)

    static func record(
        _ id: String,
        _ created: String,
        dept: String? = "生产部",
        category: String? = "安全改善",
        user: String = "u1",
        name: String? = nil,
        status: InstanceStatus = .completed,
        result: InstanceResult? = .agree
    ) -> InstanceRecord {
        let create = clock.parseLocal(created)!
        return InstanceRecord(
            instanceId: id,
            businessId: "B-\(id)",
            title: "提案 \(id)",
            createTime: create,
            finishTime: status == .completed ? create + 2 * 86_400 : nil,
            status: status,
            result: result,
            originatorUserId: user,
            originatorUserName: name ?? "名\(user)",
            originatorDeptId: dept.map { "id-\($0)" },
            originatorDeptName: dept,
            formFields: category.map { [FormField(name: categoryFieldName, value: $0)] } ?? []
        )
    }

    static let executor: QueryExecutor = {
        var builder = InstanceTableBuilder()
        for record in [
            record("a", "2025-10-05 09:00:00", dept: "质量部", user: "u2", result: .refuse),
            record("b", "2025-11-02 09:00:00"),
            record("c", "2025-11-03 09:00:00", category: "效率提升", user: "u3", name: "张三"),
            record("d", "2025-11-04 09:00:00", dept: nil, user: "u3", name: "张三", status: .running, result: nil),
            record("e", "2025-11-10 09:00:00", category: nil, user: "u4", status: .terminated, result: nil),
            record("f", "2025-11-16 09:00:00", dept: "设备部", user: "u4", status: .new, result: nil),
        ] {
            builder.upsert(record)
        }
        return QueryExecutor(engine: StatisticsEngine(table: builder.build(), clock: clock), today: today)
    }()

    /// The business ids a `list` query returns, oldest first.
    func ids(_ filter: String, period: String = "2025") throws -> [String] {
        try Self.executor.run("list \(period) where \(filter)").rows.compactMap { row -> String? in
            guard case .string(let id) = row[0] else { return nil }
            return String(id.dropFirst(2))
        }.reversed()
    }

    func failure(_ line: String) -> QueryError? {
        do {
            _ = try Self.executor.run(line)
            return nil
        } catch {
            return error
        }
    }

    @Test func aMisspelledDepartmentIsAnErrorThatSuggestsTheNearestOne() throws {
        let line = "by dept count 2025-11 where dept=生产部门"
        let error = try #require(failure(line))
        #expect(error.code == .unknownValue)
        #expect(error.description == "unknown dept '生产部门' at column 34; did you mean '生产部'?")
        #expect(
            error.rendered(line: line) == """
                by dept count 2025-11 where dept=生产部门
                                                 ^~~~~~~~
                unknown dept '生产部门' at column 34; did you mean '生产部'?
                """
        )
        #expect(error.hint?.contains("known departments: 生产部, 设备部, 质量部, 未填部门") == true)
    }

    @Test func unknownCategoriesAndUsersAreErrorsToo() throws {
        let category = try #require(failure("overview 2025 where category=安全改进 or dept=生产部"))
        #expect(category.description == "unknown category '安全改进' at column 30; did you mean '安全改善'?")
        let user = try #require(failure("overview 2025 where dept=生产部 and user in (u1, 张四)"))
        #expect(user.code == .unknownValue)
        #expect(user.description == "unknown user '张四' at column 47; did you mean '张三'?")
        let far = try #require(failure("overview 2025 where dept=财务"))
        #expect(far.suggestion == nil)
        #expect(far.description.hasPrefix("unknown dept '财务' at column 26; no instance in the store has it"))
    }

    @Test func aParsedQueryPointsIntoItsCanonicalText() throws {
        let query = try Query(parsing: "overview   2025 WHERE category=x")
        do {
            _ = try Self.executor.run(query)
            Issue.record("an unknown category was accepted")
        } catch {
            #expect(error.column == 30)
            #expect(query.description == "overview 2025 where category=x")
        }
    }

    @Test func aKnownValueWithoutInstancesInThePeriodGivesAnEmptyResult() throws {
        #expect(try ids("dept=质量部", period: "2025-11").isEmpty)
        #expect(try Self.executor.run("by dept count 2025-11 where dept=质量部").rows.isEmpty)
    }

    @Test func inListsAndOrSelectTheUnionAndAndBindsTighter() throws {
        #expect(try ids("dept in (质量部, 设备部)") == ["a", "f"])
        #expect(try ids("dept=质量部 or category=效率提升") == ["a", "c"])
        #expect(try ids("dept=生产部 and category=效率提升 or dept=设备部") == ["c", "f"])
        #expect(try ids("dept=生产部 and (category=效率提升 or status=TERMINATED)") == ["c", "e"])
        #expect(try ids("dept in （质量部，设备部） or user＝u3") == ["a", "c", "d", "f"])
    }

    @Test func usersMatchByIdOrLatestNameAndResultsIncludeNone() throws {
        #expect(try ids("user=u3") == ["c", "d"])
        #expect(try ids("user=张三") == ["c", "d"])
        #expect(try ids("result=none") == ["d", "e", "f"])
        #expect(try ids("result in (agree, refuse)") == ["a", "b", "c"])
        #expect(try ids("result=REFUSE") == ["a"])
    }

    @Test(arguments: [
        ("status=审批中", ["d"]), ("status=已完成", ["a", "b", "c"]), ("status=审批完成", ["a", "b", "c"]),
        ("status=已撤销", ["e"]), ("status=running", ["d"]), ("status in (NEW, 审批中)", ["d", "f"]),
    ])
    func statusesAcceptChineseNamesAndCodesInAnyCase(filter: String, expected: [String]) throws {
        #expect(try ids(filter) == expected)
    }

    @Test func theMissingDepartmentAndCategoryValuesSelectInstancesWithoutThem() throws {
        #expect(try ids("dept=未填部门") == ["d"])
        #expect(try ids("category=未分类") == ["e"])
        #expect(try ids("dept in (未填部门, 设备部) or category=未分类") == ["d", "e", "f"])
        #expect(try Self.executor.run("overview 2025 where dept=未填部门").rows == [[1, 0, 0.0, 1, 0]])
    }

    @Test func ageDaysIsTheMeanAgeOfOpenInstancesAndNullWithoutThem() throws {
        // Open: d (RUNNING, 2025-11-04, 16 days) and f (NEW, 2025-11-16, 4 days).
        #expect(try Self.executor.run("overview age_days 2025").rows == [[10.0]])
        #expect(try Self.executor.run("overview count,age_days 2025-10").rows == [[1, .null]])
        // by user rows are user_id, user, dept, then the metrics.
        #expect(
            try Self.executor.run("by user age_days,count 2025").rows.map { [$0[1], $0[3], $0[4]] } == [
                ["张三", 16.0, 2], ["名u4", 4.0, 2], ["名u1", .null, 1], ["名u2", .null, 1],
            ]
        )
        #expect(try Self.executor.run("by month age_days 2025").rows == [["2025-10", .null], ["2025-11", 10.0]])
    }

    @Test func breakdownsSortByAComparisonColumn() throws {
        // 生产部 2 against 1 (+1), 设备部 0 against 1 (−1); 未填部门 has no earlier instances, so no change.
        let periods = "2025-11-01..2025-11-05 vs 2025-11-06..2025-11-20"
        let table = try Self.executor.run("by dept count \(periods) order by count_change asc")
        #expect(table.rows.prefix(2).map { $0[0] } == ["设备部", "生产部"])
        let descending = try Self.executor.run("by dept count \(periods) order by count_change")
        #expect(descending.rows.prefix(2).map { $0[0] } == ["生产部", "设备部"])
        let error = try #require(failure("by dept count 2025-11 order by count_change"))
        #expect(
            error.description
                == "'count_change' is a comparison column, but the query compares with nothing at column 32; add a "
                + "comparison before where, e.g. vs prev, or order by count"
        )
    }
}
