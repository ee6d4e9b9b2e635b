import LeanStatsCore
import LeanStatsQuery
import LeanStatsTestSupport
import Testing

/// `order by METRIC … limit N` is answered by the engine, which ranks and cuts the groups before naming them: its
/// rows must be the first N rows of the whole table sorted stably by that metric, values missing last.
struct OrderByLimitTests {
    static let executor: QueryExecutor = {
        var builder = InstanceTableBuilder()
        for record in randomInstances(count: 3000, seed: 17, users: 300) { builder.upsert(record) }
        let clock = try! ZoneClock(identifier: "Asia/Shanghai")
        let engine = StatisticsEngine(table: builder.build(), clock: clock)
        return QueryExecutor(
            engine: engine,
            today: CivilDate(year: 2025, month: 6, day: 1),
            headcounts: ["生产部": 40, "质量部": 25, "设备部": 30, "仓储物流部": 12, "Admin": 3, "=HYPERLINK": 9]
        )
    }()

    static let metrics = [
        "count", "pass_rate", "avg_days", "within30_rate", "participants", "p90_days", "benefit_sum", "age_days",
        "participation_rate",
    ]

    /// The metric's value in a row as the ranking sees it: a number, or `nil` for an empty cell.
    private func number(_ value: ResultValue) -> Double? {
        switch value {
        case .int(let value): Double(value)
        case .double(let value): value.isFinite ? value : nil
        case .string, .null: nil
        }
    }

    /// The rows sorted stably by one column's numbers, empty cells last either way.
    private func sortedStably(_ rows: [[ResultValue]], by column: Int, descending: Bool) -> [[ResultValue]] {
        rows.enumerated().sorted { left, right in
            switch (number(left.element[column]), number(right.element[column])) {
            case (let a?, let b?) where a != b: return descending ? a > b : a < b
            case (nil, _?): return false
            case (_?, nil): return true
            default: return left.offset < right.offset
            }
        }.map(\.element)
    }

    /// Expects `query … order by NAME asc|desc limit N`, for each limit, to give `whole`'s columns and the first N
    /// rows of `whole` (the query's own answer) sorted stably by the column NAME.
    private func expectOrderedCuts(of query: String, whole: ResultTable, by name: String, limits: [Int]) throws {
        let column = try #require(whole.columns.firstIndex(of: name))
        for descending in [true, false] {
            let sorted = sortedStably(whole.rows, by: column, descending: descending)
            for limit in limits {
                let line = "\(query) order by \(name) \(descending ? "desc" : "asc") limit \(limit)"
                let ranked = try Self.executor.run(line)
                #expect(ranked.columns == whole.columns, "\(line)")
                #expect(ranked.rows == Array(sorted.prefix(limit)), "\(line)")
            }
        }
    }

    @Test(arguments: ["user", "dept", "category", "month", "field:提案类别"])
    func theFirstRowsEqualTheWholeTableSortedStablyByTheMetric(dimension: String) throws {
        for metric in Self.metrics where metric != "participation_rate" || dimension == "dept" {
            let metrics = metric == "count" ? "count,passed" : "count,\(metric)"
            let query = "by \(dimension) \(metrics) 2024-03..2025-04"
            try expectOrderedCuts(of: query, whole: try Self.executor.run(query), by: metric, limits: [1, 3, 25])
        }
    }

    @Test(arguments: ["user", "dept", "category"])
    func comparedRowsOrderedByAColumnEqualTheWholeComparisonSortedStablyByIt(dimension: String) throws {
        // Many proposers share a change: ties keep the comparison's own order.
        let query = "by \(dimension) count,pass_rate 2025-03 vs prev"
        let whole = try Self.executor.run(query)
        for name in ["count_change", "count_prev", "pass_rate_change_pct", "count"] {
            try expectOrderedCuts(of: query, whole: whole, by: name, limits: [1, 4, 40])
        }
    }

    @Test func rankedProposersAreNamedWithTheirIdsAndDepartments() throws {
        let ranked = try Self.executor.run("by user count,pass_rate all order by pass_rate asc limit 5")
        #expect(ranked.rows.count == 5)
        let whole = try Self.executor.run("by user count,pass_rate all")
        for row in ranked.rows {
            #expect(whole.rows.contains(row), "\(row)")
            #expect(row[0] != .string("") && row[1] != .string(""))
        }
    }
}
