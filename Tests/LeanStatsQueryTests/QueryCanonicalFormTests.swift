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
    }
}
