import LeanStatsCore
import LeanStatsQuery
import LeanStatsTestSupport
import Testing

/// A query restricted to some departments counts exactly their instances, in every form and on every kernel path.
struct DepartmentRestrictionTests {
    static let clock = try! ZoneClock(identifier: "Asia/Shanghai")
    static let executor: QueryExecutor = {
        var builder = InstanceTableBuilder()
        for record in randomInstances(count: 4000, seed: 11) { builder.upsert(record) }
        let engine = StatisticsEngine(table: builder.build(), clock: clock)
        engine.prepareIndexes()
        return QueryExecutor(engine: engine)
    }()

    /// The store's department names, in UTF-8 order.
    static var departments: [String] {
        let dictionary = executor.engine.table.deptName.dictionary
        return (1..<dictionary.count).compactMap { dictionary[UInt32($0)] }.sorted(by: utf8Precedes)
    }

    private func count(_ line: String, in departments: Set<String>? = nil) throws -> Int {
        var query = try Query(parsing: line)
        if let departments { query = query.restricted(to: departments) }
        guard case .int(let value) = try Self.executor.run(query).rows.first?.first else { return 0 }
        return value
    }

    @Test(arguments: [1, 2, 3])
    func anOverviewCountsTheSumOfItsDepartments(departments: Int) throws {
        let names = Set(Self.departments.prefix(departments))
        #expect(names.count == departments)
        var expected = 0
        for name in names { expected += try count("overview all where dept=\("\"" + name + "\"")") }
        #expect(expected > 0)
        #expect(try count("overview all", in: names) == expected)
        #expect(try count("overview all") > expected)
    }

    @Test func aBreakdownByDepartmentShowsOnlyTheRestrictedOnesWithTheirFullCounts() throws {
        let names = Set(Self.departments.suffix(2))
        let all = try Self.executor.run(try Query(parsing: "by dept count all"))
        let restricted = try Self.executor.run(try Query(parsing: "by dept count all").restricted(to: names))
        let expected = all.rows.filter { row in
            if case .string(let name) = row[0] { return names.contains(name) }
            return false
        }
        #expect(restricted.rows == expected)
        #expect(restricted.rows.count == 2)
    }

    @Test func listsAndRankingsKeepOnlyRowsOfTheRestrictedDepartments() throws {
        let names = Set(Self.departments.prefix(2))
        let list = try Self.executor.run(try Query(parsing: "list all limit 100000").restricted(to: names))
        let deptColumn = try #require(list.columns.firstIndex(of: "dept"))
        var expected = 0
        for name in names { expected += try count("overview all where dept=\("\"" + name + "\"")") }
        #expect(list.rows.count == expected)
        for row in list.rows {
            guard case .string(let name) = row[deptColumn] else {
                Issue.record("a listed row without a department")
                continue
            }
            #expect(names.contains(name))
        }
        let top = try Self.executor.run(try Query(parsing: "top 1000 all").restricted(to: names))
        #expect(!top.rows.isEmpty)
        for row in top.rows {
            guard case .string(let name) = row[2] else { continue }
            #expect(names.contains(name))
        }
    }

    @Test func aRestrictionNarrowsAFilterAndMatchesNothingOutsideTheStore() throws {
        let names = Set(Self.departments.prefix(1))
        let outside = try #require(Self.departments.last)
        #expect(!names.contains(outside))
        #expect(try count("overview all where dept=\("\"" + outside + "\"")", in: names) == 0)
        #expect(try count("overview all", in: ["没有这个部门"]) == 0)
        #expect(try count("overview all", in: []) == 0)
        #expect(try count("by month count all", in: ["没有这个部门"]) == 0)
    }
}
