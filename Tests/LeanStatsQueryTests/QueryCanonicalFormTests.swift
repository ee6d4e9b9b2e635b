import Testing

@testable import LeanStatsQuery

struct QueryCanonicalFormTests {
    static let canonicalForms: [(String, String)] = [
        ("OVERVIEW 2025-q4", "overview 2025-Q4"),
        ("overview ALL", "overview all"),
        (
            "by dept count , passed   2025-11 WHERE Dept = 生产部",
            "by dept count,passed 2025-11 where dept=生产部"
        ),
        ("by dept count 2025 order by count", "by dept count 2025 order by count desc"),
        (
            "By Month Count 2025-01..2025-q2 Order By Count Asc Limit 6",
            "by month count 2025-01..2025-Q2 order by count asc limit 6"
        ),
        (
            #"overview 2025 where status=running and dept="生产 部" and category=安全改善"#,
            #"overview 2025 where dept="生产 部" and category=安全改善 and status=RUNNING"#
        ),
        (#"overview 2025 where dept="plain""#, "overview 2025 where dept=plain"),
        (#"overview 2025 where dept="a\"b""#, #"overview 2025 where dept="a\"b""#),
        (#"overview 2025 where dept="a,b""#, #"overview 2025 where dept="a,b""#),
        (#"overview 2025 where dept="a=b""#, #"overview 2025 where dept="a=b""#),
        (#"overview 2025 where dept=a\b"#, #"overview 2025 where dept=a\b"#),
        (#"overview 2025 where dept="a \\ b""#, #"overview 2025 where dept="a \\ b""#),
        ("top 007 2025-11-03..2025-12", "top 7 2025-11-03..2025-12"),
        ("trend 2024..2025-06-30", "trend 2024..2025-06-30"),
        ("efficiency 2025-11 where category=\"安全 改善\"", "efficiency 2025-11 where category=\"安全 改善\""),
        (
            "overview 2025 where dept in (生产部，质量部) OR category＝安全改善",
            "overview 2025 where dept in (生产部, 质量部) or category=安全改善"
        ),
        ("overview 2025 where dept in（生产部）", "overview 2025 where dept=生产部"),
        ("overview 2025 where dept IN(a,b)", "overview 2025 where dept in (a, b)"),
        (
            "overview 2025 where status=审批中 and result=NONE or status in (已完成, terminated)",
            "overview 2025 where status=RUNNING and result=none or status in (COMPLETED, TERMINATED)"
        ),
        (
            "overview 2025 where (dept=a or category=b) and status=running",
            "overview 2025 where dept=a and status=RUNNING or category=b and status=RUNNING"
        ),
        (
            "overview 2025 where dept in (a, b) and (dept=b or user=u1)",
            "overview 2025 where dept=b or dept in (a, b) and user=u1"
        ),
        ("overview 2025 where user=张三 and dept=生产部(一)", "overview 2025 where dept=生产部(一) and user=张三"),
        (#"overview 2025 where dept="(x" or dept="y)""#, #"overview 2025 where dept="(x" or dept="y)""#),
        ("overview 2025 where dept=未填部门 and category=未分类", "overview 2025 where dept=未填部门 and category=未分类"),
        ("OVERVIEW count,passed,pass_rate,participants,depts 2025", "overview 2025"),
        ("overview count , age_days 2025-11 vs prev", "overview count,age_days 2025-11 vs prev"),
        (
            "by dept count 2025-11 vs prev order by COUNT_CHANGE",
            "by dept count 2025-11 vs prev order by count_change desc"
        ),
        (
            "by dept count 2025-11 vs yoy order by pass_rate_change_pct asc",
            "by dept count 2025-11 vs yoy order by pass_rate_change_pct asc"
        ),
        ("by field:预计收益(元) count all", "by field:预计收益(元) count all"),
    ]

    @Test(arguments: canonicalForms)
    func printsTheCanonicalForm(line: String, canonical: String) throws {
        #expect(try Query(parsing: line).description == canonical)
    }

    @Test(arguments: canonicalForms.map(\.1))
    func canonicalFormParsesBackToTheSameQuery(canonical: String) throws {
        let query = try Query(parsing: canonical)
        #expect(query.description == canonical)
        #expect(try Query(parsing: query.description) == query)
    }

    @Test func quotesValuesOnlyWhenTheyWouldNotReadBack() {
        #expect(QueryLexer.quoteIfNeeded("生产部") == "生产部")
        #expect(QueryLexer.quoteIfNeeded(#"a\b"#) == #"a\b"#)
        #expect(QueryLexer.quoteIfNeeded("a b") == #""a b""#)
        #expect(QueryLexer.quoteIfNeeded("a\u{3000}b") == "\"a\u{3000}b\"")
        #expect(QueryLexer.quoteIfNeeded(#"say "hi" \o/"#) == #""say \"hi\" \\o/""#)
        #expect(QueryLexer.quoteIfNeeded("") == #""""#)
        #expect(QueryLexer.quoteIfNeeded("生产部(一)") == "生产部(一)")
        #expect(QueryLexer.quoteIfNeeded("(一)") == #""(一)""#)
        #expect(QueryLexer.quoteIfNeeded("a)b") == #""a)b""#)
        #expect(QueryLexer.quoteIfNeeded("a(b") == #""a(b""#)
        #expect(QueryLexer.quoteIfNeeded("a，b") == #""a，b""#)
        #expect(QueryLexer.quoteIfNeeded("a＝b") == #""a＝b""#)
    }
}
