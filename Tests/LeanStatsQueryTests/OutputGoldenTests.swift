import LeanStatsCore
import LeanStatsQuery
import LeanStatsTestSupport
import Testing

/// Table, CSV and JSON output of every query form on a fixed store, exactly as users see it.
struct OutputGoldenTests {
    static let executor = LanguageExtensionTests.executor

    static func render(_ line: String, _ format: OutputFormat) throws -> String {
        format.render(try executor.run(line))
    }

    @Test func overviewInEveryFormat() throws {
        #expect(
            try Self.render("overview 2025-11", .table) == """
                count  passed  pass_rate  participants  depts
                -----  ------  ---------  ------------  -----
                    3       2      66.67             2      1

                """
        )
        #expect(
            try Self.render("overview 2025-11", .csv)
                == "count,passed,pass_rate,participants,depts\n3,2,66.67,2,1\n"
        )
        #expect(
            try Self.render("overview 2025-11", .json)
                == "{\"count\":3,\"passed\":2,\"pass_rate\":66.66666666666666,\"participants\":2,\"depts\":1}\n"
        )
        #expect(
            try Self.render("overview 2025-11", .jsonl)
                == "{\"count\":3,\"passed\":2,\"pass_rate\":66.66666666666666,\"participants\":2,\"depts\":1}\n"
        )
    }

    @Test func byDeptInEveryFormat() throws {
        let line = "by dept count,pass_rate,avg_days 2025-10..2025-11"
        #expect(
            try Self.render(line, .table) == """
                dept    count  pass_rate  avg_days
                ------  -----  ---------  --------
                生产部      4         75      4.67
                质量部      1          0        20

                """
        )
        #expect(
            try Self.render(line, .csv)
                == "dept,count,pass_rate,avg_days\n生产部,4,75,4.67\n质量部,1,0,20\n"
        )
        #expect(
            try Self.render(line, .json)
                == "[{\"dept\":\"生产部\",\"count\":4,\"pass_rate\":75.0,\"avg_days\":4.666666666666667},"
                + "{\"dept\":\"质量部\",\"count\":1,\"pass_rate\":0.0,\"avg_days\":20.0}]\n"
        )
    }

    @Test func topInEveryFormatKeepsTheTieAtTheCutOff() throws {
        #expect(
            try Self.render("top 2 2025", .csv)
                == "user_id,user,dept,count,passed,pass_rate\nu1,名u1,生产部,2,2,100\nu3,名u3,生产部,2,1,50\n"
        )
        #expect(
            try Self.render("top 1 2025", .json)
                == "[{\"user_id\":\"u1\",\"user\":\"名u1\",\"dept\":\"生产部\",\"count\":2,\"passed\":2,\"pass_rate\":100.0},"
                + "{\"user_id\":\"u3\",\"user\":\"名u3\",\"dept\":\"生产部\",\"count\":2,\"passed\":1,\"pass_rate\":50.0}]\n"
        )
        #expect(
            try Self.render("top 1 2025", .table) == """
                user_id  user  dept    count  passed  pass_rate
                -------  ----  ------  -----  ------  ---------
                u1       名u1  生产部      2       2        100
                u3       名u3  生产部      2       1         50

                """
        )
    }

    @Test func efficiencyInEveryFormat() throws {
        #expect(
            try Self.render("efficiency 2025-11", .json)
                == "{\"avg_days\":2.0,\"min_days\":1,\"max_days\":3,\"completed\":2,\"within30_rate\":100.0}\n"
        )
        #expect(
            try Self.render("efficiency 2024-01", .csv)
                == "avg_days,min_days,max_days,completed,within30_rate\n,,,0,\n"
        )
        #expect(
            try Self.render("efficiency 2024-01", .json)
                == "{\"avg_days\":null,\"min_days\":null,\"max_days\":null,\"completed\":0,\"within30_rate\":null}\n"
        )
    }

    @Test func trendInEveryFormat() throws {
        #expect(
            try Self.render("trend 2025", .csv)
                == "month,count,passed,pass_rate,participants\n2025-10,2,1,50,2\n2025-11,3,2,66.67,2\n"
        )
        #expect(
            try Self.render("trend 2025", .json)
                == "[{\"month\":\"2025-10\",\"count\":2,\"passed\":1,\"pass_rate\":50.0,\"participants\":2},"
                + "{\"month\":\"2025-11\",\"count\":3,\"passed\":2,\"pass_rate\":66.66666666666666,"
                + "\"participants\":2}]\n"
        )
    }

    @Test func listAndDescribeInCSV() throws {
        #expect(
            try Self.render("list 2025-10 limit 1", .csv)
                == "business_id,title,user,dept,category,status,result,created,finished,days\n"
                + "B-o2,提案 o2,名u2,质量部,安全改善,COMPLETED,refuse,2025-10-06 09:00:00,2025-10-26 09:00:00,20\n"
        )
        #expect(
            try Self.render("describe", .csv).hasPrefix("column,type,distinct,missing,first,last\ninstances,rows,6,0,")
        )
    }

    @Test func anEmptyResultSaysSoInTheTableAndIsAnEmptyArrayInJSON() throws {
        #expect(try Self.render("by dept count 2020", .json) == "[]\n")
        #expect(try Self.render("by dept count 2020", .table).contains("(0 rows)"))
    }
}
