import Testing

@testable import LeanStatsQuery

struct QueryErrorTests {
    static let periodForms =
        "expected 2025-11 (month), 2025-Q4 (quarter), 2025-H1 (half-year), 2025 (year), 2025-11-03 (day), 2025-01..2025-06 (range), this-month, last-month, last 90d, ytd or all"
    static let metricNames =
        "count, passed, pass_rate, participants, depts, avg_days, min_days, max_days, completed, within30_rate, refused, running, benefit_sum, p50_days, p90_days, participation_rate, age_days"

    /// Every error a line can get, with its exact one-line description.
    static let goldens: [(String, QueryError.Code, String)] = [
        (
            "", .emptyQuery,
            "missing command at column 1; expected one of overview, by, top, efficiency, trend, list, describe"
        ),
        (
            "   ", .emptyQuery,
            "missing command at column 1; expected one of overview, by, top, efficiency, trend, list, describe"
        ),
        ("overveiw 2025-11", .unknownCommand, "unknown command 'overveiw' at column 1; did you mean 'overview'?"),
        ("tpo 5 2025", .unknownCommand, "unknown command 'tpo' at column 1; did you mean 'top'?"),
        (
            "select * from t", .unknownCommand,
            "unknown command 'select' at column 1; expected one of overview, by, top, efficiency, trend, list, describe"
        ),
        (
            "by", .missingDimension,
            "missing dimension at column 3; expected one of dept, category, user, month, status, quarter, year, result, field:NAME"
        ),
        ("by dpt count 2025-11", .unknownDimension, "unknown dimension 'dpt' at column 4; did you mean 'dept'?"),
        (
            "by 生产部 count 2025-11", .unknownDimension,
            "unknown dimension '生产部' at column 4; expected one of dept, category, user, month, status, quarter, year, result, field:NAME"
        ),
        (
            "by dept", .missingMetric,
            "missing metrics at column 8; expected a metric or a comma list such as count,passed"
        ),
        (
            "by dept 2025-11", .missingMetric,
            "missing metrics before the period '2025-11' at column 9; expected a metric or a comma list such as count,passed"
        ),
        (
            "by dept count,", .missingMetric,
            "missing metric after ',' at column 15; expected a metric or a comma list such as count,passed"
        ),
        (
            "by dept count, 2025-11", .missingMetric,
            "missing metric after ',' at column 16; expected a metric or a comma list such as count,passed"
        ),
        (
            "by dept pass_rat 2025-11", .unknownMetric,
            "unknown metric 'pass_rat' at column 9; did you mean 'pass_rate'?"
        ),
        (
            "by dept count,rate 2025-11", .unknownMetric,
            "unknown metric 'rate' at column 15; expected one of \(metricNames)"
        ),
        (
            "by dept count,count 2025-11", .duplicateMetric,
            "metric 'count' listed twice at column 15; list each metric once"
        ),
        (
            "by dept count passed 2025-11", .missingComma,
            "metric 'passed' is not joined to the list at column 15; join metrics with ',', e.g. count,passed"
        ),
        ("overview", .missingPeriod, "missing period at column 9; \(periodForms)"),
        ("by dept count", .missingPeriod, "missing period at column 14; \(periodForms)"),
        ("overview where dept=x", .missingPeriod, "missing period before 'where' at column 10; \(periodForms)"),
        ("overview someday", .invalidPeriod, "invalid period 'someday' at column 10; \(periodForms)"),
        ("overview al", .invalidPeriod, "invalid period 'al' at column 10; did you mean 'all'?"),
        ("overview 25-11", .invalidPeriod, "invalid period '25-11' at column 10; \(periodForms)"),
        ("overview 2025-1", .invalidPeriod, "invalid period '2025-1' at column 10; \(periodForms)"),
        ("overview \"2025\"", .invalidPeriod, "invalid period '\"2025\"' at column 10; \(periodForms)"),
        (
            "overview 2025-13", .invalidPeriod,
            "invalid period '2025-13' at column 10; there is no month 13 (months are 01 to 12)"
        ),
        (
            "overview 2025-Q5", .invalidPeriod,
            "invalid period '2025-Q5' at column 10; there is no quarter 5 (quarters are Q1 to Q4)"
        ),
        ("overview 2025-02-29", .invalidPeriod, "invalid period '2025-02-29' at column 10; 2025-02 has only 28 days"),
        ("overview 2025-02-30", .invalidPeriod, "invalid period '2025-02-30' at column 10; 2025-02 has only 28 days"),
        ("overview 2024-02-30", .invalidPeriod, "invalid period '2024-02-30' at column 10; 2024-02 has only 29 days"),
        ("overview 2025-11-31", .invalidPeriod, "invalid period '2025-11-31' at column 10; 2025-11 has only 30 days"),
        ("overview 2025-11-00", .invalidPeriod, "invalid period '2025-11-00' at column 10; there is no day 00"),
        (
            "overview 2025-06..2025-01", .invalidPeriod,
            "invalid period '2025-06..2025-01' at column 10; the range ends (2025-01-31) before it starts (2025-06-01)"
        ),
        (
            "overview 2025-01..2025-13", .invalidPeriod,
            "invalid period '2025-13' at column 19; there is no month 13 (months are 01 to 12)"
        ),
        (
            "overview 2025..", .invalidPeriod,
            "missing end of range at column 16; each end of a range is a month, quarter, half-year, year or day, e.g. 2025-01..2025-06"
        ),
        (
            "overview ..2025", .invalidPeriod,
            "missing start of range at column 10; each end of a range is a month, quarter, half-year, year or day, e.g. 2025-01..2025-06"
        ),
        (
            "overview 2025..all", .invalidPeriod,
            "invalid range end 'all' at column 16; each end of a range is a month, quarter, half-year, year or day, e.g. 2025-01..2025-06"
        ),
        (
            "top", .invalidCount,
            "missing number of proposers at column 4; expected a positive whole number, e.g. top 10"
        ),
        (
            "top 0 2025", .invalidCount,
            "invalid number of proposers '0' at column 5; expected a positive whole number, e.g. top 10"
        ),
        (
            "top ten 2025", .invalidCount,
            "invalid number of proposers 'ten' at column 5; expected a positive whole number, e.g. top 10"
        ),
        (
            "top 2025-11", .invalidCount,
            "missing number of proposers before the period '2025-11' at column 5; expected a positive whole number, e.g. top 10"
        ),
        (
            "top 99999999999999999999 2025", .invalidCount,
            "invalid number of proposers '99999999999999999999' at column 5; expected a positive whole number, e.g. top 10"
        ),
        (
            "overview 2025 where", .missingFilter,
            "missing filter after 'where' at column 20; expected dept=…, category=…, status=…, user=… or result=…"
        ),
        (
            "overview 2025 where dept=a and", .missingFilter,
            "missing filter after 'and' at column 31; expected dept=…, category=…, status=…, user=… or result=…"
        ),
        ("overview 2025 where dpt=x", .unknownFilter, "unknown filter 'dpt' at column 21; did you mean 'dept'?"),
        (
            "overview 2025 where owner=x", .unknownFilter,
            "unknown filter 'owner' at column 21; expected one of dept, category, status, user, result"
        ),
        (
            "overview 2025 where dept=a and dept=b", .duplicateFilter,
            "filter 'dept' given twice in one 'and' group at column 32; list several values with in (…), e.g. "
                + "dept in (生产部, 质量部), or join groups with 'or'"
        ),
        (
            "overview 2025 where dept", .missingEquals,
            "missing '=' or 'in' after 'dept' at column 25; expected dept=VALUE or dept in (A, B)"
        ),
        (
            "overview 2025 where dept 生产部", .missingEquals,
            "missing '=' or 'in' after 'dept' at column 26; expected dept=VALUE or dept in (A, B)"
        ),
        (
            "overview 2025 where dept=", .missingValue,
            "missing value after 'dept=' at column 26; expected a department name (未填部门 for none); quote a value with spaces, e.g. dept=\"a b\""
        ),
        (
            "overview 2025 where category==x", .missingValue,
            "missing value after 'category=' at column 30; expected a category (提案类别; 未分类 for none); quote a value with spaces, e.g. category=\"a b\""
        ),
        (
            "overview 2025 where dept=\"\"", .missingValue,
            "empty value for 'dept' at column 26; expected a department name (未填部门 for none); quote a value with spaces, e.g. dept=\"a b\""
        ),
        (
            "overview 2025 where status=RUNING", .unknownStatus,
            "unknown status 'RUNING' at column 28; did you mean 'RUNNING'?"
        ),
        (
            "overview 2025 where status=done", .unknownStatus,
            "unknown status 'done' at column 28; expected one of NEW, RUNNING, COMPLETED, TERMINATED, CANCELED, 审批中, 审批完成, "
                + "已完成, 已撤销"
        ),
        (
            "overview 2025 where result=agreed", .unknownResult,
            "unknown result 'agreed' at column 28; did you mean 'agree'?"
        ),
        (
            "overview 2025 where result=yes", .unknownResult,
            "unknown result 'yes' at column 28; expected one of agree, refuse, none"
        ),
        (
            "overview 2025 where dept in 生产部", .missingParenthesis,
            "missing '(' after 'in' at column 29; expected dept in (A, B)"
        ),
        (
            "overview 2025 where dept in (生产部, 质量部", .missingParenthesis,
            "missing ',' or ')' in the list of 'dept' at column 38; expected dept in (A, B)"
        ),
        (
            "overview 2025 where (dept=a or dept=b and status=RUNNING", .missingParenthesis,
            "missing ')' to close the '(' at column 21 at column 57; close the group, e.g. where (dept=A or dept=B) "
                + "and status=RUNNING"
        ),
        (
            "overview 2025 where dept in (a,)", .missingValue,
            "missing value after ',' at column 32; expected a department name (未填部门 for none); quote a value with "
                + "spaces, e.g. dept=\"a b\""
        ),
        (
            "overview 2025 where "
                + Array(repeating: "(dept in (a, b) or dept in (a, c))", count: 7)
                .joined(separator: " and "),
            .tooManyAlternatives,
            "the filter expands to more than 64 alternatives at column 251; list values with in (…) instead of "
                + "joining many groups"
        ),
        (
            "overview 2025 where (dept=a or category=b) and dept=c and category=d", .duplicateFilter,
            "the conditions joined by 'and' exclude each other, so no instance can match at column 55; give each key "
                + "values that can hold together, or join the groups with 'or'"
        ),
        (
            "overview 2025 where dept=\"生产", .unterminatedQuote,
            "unterminated quote at column 26; close the value with '\"' (write \\\" for a quote inside it)"
        ),
        (
            "by dept count 2025 order", .missingKeyword,
            "missing 'by' after 'order' at column 25; expected order by METRIC [asc|desc]"
        ),
        (
            "by dept count 2025 order count", .missingKeyword,
            "missing 'by' after 'order' at column 26; expected order by METRIC [asc|desc]"
        ),
        (
            "by dept count 2025 order by", .missingMetric,
            "missing metric after 'order by' at column 28; expected order by METRIC [asc|desc]"
        ),
        (
            "by dept count 2025 order by pass_rat", .unknownMetric,
            "unknown metric 'pass_rat' at column 29; did you mean 'pass_rate'?"
        ),
        (
            "by dept count 2025 limit", .invalidLimit,
            "missing row limit at column 25; expected a positive whole number, e.g. limit 10"
        ),
        (
            "by dept count 2025 limit 0", .invalidLimit,
            "invalid row limit '0' at column 26; expected a positive whole number, e.g. limit 10"
        ),
        (
            "by dept count 2025 limit -1", .invalidLimit,
            "invalid row limit '-1' at column 26; expected a positive whole number, e.g. limit 10"
        ),
        (
            "by dept count 2025 limit 2.5", .invalidLimit,
            "invalid row limit '2.5' at column 26; expected a positive whole number, e.g. limit 10"
        ),
        ("overview 2025 foo", .unexpectedWord, "unexpected 'foo' at column 15; expected 'vs', 'where' or end of line"),
        ("overview 2025 wher dept=a", .unexpectedWord, "unexpected 'wher' at column 15; did you mean 'where'?"),
        (
            "overview 2025 where dept=a an status=NEW", .unexpectedWord,
            "unexpected 'an' at column 28; did you mean 'and'?"
        ),
        (
            "overview 2025 where dept=a where status=NEW", .unexpectedWord,
            "unexpected 'where' at column 28; join filters with 'and'"
        ),
        ("efficiency 2025,", .unexpectedWord, "unexpected ',' at column 16; expected 'vs', 'where' or end of line"),
        (
            "trend 2025 limit 5", .unexpectedWord,
            "unexpected 'limit' at column 12; 'order by' and 'limit' belong to by queries"
        ),
        (
            "by dept count 2025 foo", .unexpectedWord,
            "unexpected 'foo' at column 20; expected 'vs', 'where', 'order by', 'limit' or end of line"
        ),
        (
            "by dept count 2025 where dept=a x", .unexpectedWord,
            "unexpected 'x' at column 33; expected 'and', 'or', 'order by', 'limit' or end of line"
        ),
        (
            "by dept count 2025 order by count up", .unexpectedWord,
            "unexpected 'up' at column 35; expected 'asc', 'desc', 'limit' or end of line"
        ),
        (
            "by dept count 2025 order by count desc x", .unexpectedWord,
            "unexpected 'x' at column 40; expected 'limit' or end of line"
        ),
        (
            "by dept count 2025 limit 5 order by count", .unexpectedWord,
            "unexpected 'order' at column 28; clauses go in the order where, order by, limit, each once"
        ),
        ("by dept count 2025 limit 5 5", .unexpectedWord, "unexpected '5' at column 28; expected end of line"),
        (
            "by dept count 2025 2026", .unexpectedWord,
            "unexpected '2026' at column 20; expected 'vs', 'where', 'order by', 'limit' or end of line"
        ),
    ]

    @Test(arguments: goldens)
    func describesTheMistakeInOneLine(line: String, code: QueryError.Code, description: String) {
        #expect(throws: QueryError.self) { try Query(parsing: line) }
        do {
            _ = try Query(parsing: line)
        } catch {
            #expect(error.code == code)
            #expect(error.description == description)
        }
    }

    @Test func goldensCoverEveryErrorCodeOfTheParser() {
        // Unknown filter values are found when the query runs against a store (FilterValueTests).
        #expect(Set(Self.goldens.map(\.1)) == Set(QueryError.Code.allCases).subtracting([.unknownValue]))
    }

    @Test(arguments: goldens.map(\.0))
    func pointsAtTheOffendingWordInTheLine(line: String) {
        do {
            _ = try Query(parsing: line)
        } catch {
            let characters = Array(line)
            #expect(error.column >= 1 && error.column <= characters.count + 1)
            let start = min(error.column - 1, characters.count)
            let end = min(start + error.word.count, characters.count)
            #expect(String(characters[start..<end]) == error.word)
        }
    }

    static func renderedError(_ line: String) -> String {
        do {
            _ = try Query(parsing: line)
            return "accepted"
        } catch {
            return error.rendered(line: line)
        }
    }

    /// `count` spaces, then `^` and `~` to make `width` columns.
    static func caret(after count: Int, width: Int) -> String {
        String(repeating: " ", count: count) + "^" + String(repeating: "~", count: width - 1)
    }

    @Test func underlinesTheWordAfterChineseTextCountingWideCharactersTwice() {
        let line = "by dept count 2025 where dept=生产部 and statu=X"
        // 30 ASCII columns, 生产部 (6), " and " (5).
        #expect(
            Self.renderedError(line)
                == [
                    line, Self.caret(after: 41, width: 5),
                    "unknown filter 'statu' at column 39; did you mean 'status'?",
                ].joined(separator: "\n")
        )
    }

    @Test func underlinesAChineseWordWithItsFullWidth() {
        #expect(
            Self.renderedError("by 生产部 count 2025-11") == """
                by 生产部 count 2025-11
                   ^~~~~~
                unknown dimension '生产部' at column 4; expected one of dept, category, user, month, status, quarter, year, result, field:NAME
                """
        )
    }

    @Test func pointsJustPastTheLastWordWhenSomethingIsMissing() {
        let line = "overview 2025 where dept=生产部 and"
        #expect(
            Self.renderedError(line)
                == [
                    line, Self.caret(after: 35, width: 1),
                    "missing filter after 'and' at column 33; expected dept=…, category=…, status=…, user=… or result=…",
                ].joined(separator: "\n")
        )
    }

    @Test func keepsTabsSoTheCaretLinesUp() {
        #expect(
            Self.renderedError("by\tdept\tcnt 2025") == """
                by\tdept\tcnt 2025
                  \t    \t^~~
                unknown metric 'cnt' at column 9; did you mean 'count'?
                """
        )
    }

    @Test func underlinesAnUnterminatedQuoteToTheEndOfTheLine() {
        let line = "top 3 2025 where dept=\"生产 部"
        #expect(
            Self.renderedError(line)
                == [
                    line, Self.caret(after: 22, width: 8),
                    #"unterminated quote at column 23; close the value with '"' (write \" for a quote inside it)"#,
                ].joined(separator: "\n")
        )
    }

    @Test func marksTheStartOfAnEmptyLine() {
        #expect(
            Self.renderedError("") == """

                ^
                missing command at column 1; expected one of overview, by, top, efficiency, trend, list, describe
                """
        )
    }

    @Test func describesWithoutHintOrSuggestionAsJustTheLocation() {
        let error = QueryError(.unexpectedWord, column: 3, word: "x", "unexpected 'x'")
        #expect(error.description == "unexpected 'x' at column 3")
    }

    @Test(
        arguments: [
            ("pass_rat", "pass_rate"), ("PASS_RATE", nil), ("cnt", "count"), ("coutn", "count"), ("x", nil),
            ("avg", nil), ("within30", nil), ("depts", nil), ("dept", "depts"), ("partcipants", "participants"),
        ] as [(String, String?)]
    )
    func suggestsOnlyCloseMetricNames(word: String, suggestion: String?) {
        #expect(Suggestion.nearest(to: word, among: Metric.allCases.map(\.rawValue)) == suggestion)
    }

    @Test func countsASwapOfNeighboursAsOneEdit() {
        #expect(Suggestion.editDistance(Array("overveiw"), Array("overview")) == 1)
        #expect(Suggestion.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(Suggestion.editDistance(Array(""), Array("abc")) == 3)
    }
}
