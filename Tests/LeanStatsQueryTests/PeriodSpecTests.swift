import LeanStatsCore
import Testing

@testable import LeanStatsQuery

struct PeriodSpecTests {
    /// `text`, its first and last day, and its canonical text.
    static let resolutions: [(String, String, String, String)] = [
        ("2025-11", "2025-11-01", "2025-11-30", "2025-11"),
        ("2025-12", "2025-12-01", "2025-12-31", "2025-12"),
        ("2025-02", "2025-02-01", "2025-02-28", "2025-02"),
        ("2024-02", "2024-02-01", "2024-02-29", "2024-02"),
        ("2000-02", "2000-02-01", "2000-02-29", "2000-02"),
        ("1900-02", "1900-02-01", "1900-02-28", "1900-02"),
        ("2025-Q1", "2025-01-01", "2025-03-31", "2025-Q1"),
        ("2025-q2", "2025-04-01", "2025-06-30", "2025-Q2"),
        ("2025-Q3", "2025-07-01", "2025-09-30", "2025-Q3"),
        ("2025-Q4", "2025-10-01", "2025-12-31", "2025-Q4"),
        ("2024", "2024-01-01", "2024-12-31", "2024"),
        ("2025-11-03", "2025-11-03", "2025-11-03", "2025-11-03"),
        ("2024-02-29", "2024-02-29", "2024-02-29", "2024-02-29"),
        ("2025-01..2025-06", "2025-01-01", "2025-06-30", "2025-01..2025-06"),
        ("2025-11-01..2025-11-15", "2025-11-01", "2025-11-15", "2025-11-01..2025-11-15"),
        ("2024-q4..2025-02", "2024-10-01", "2025-02-28", "2024-Q4..2025-02"),
        ("2023..2024-02", "2023-01-01", "2024-02-29", "2023..2024-02"),
        ("2025-06..2025-06", "2025-06-01", "2025-06-30", "2025-06..2025-06"),
        ("2025..2025-03", "2025-01-01", "2025-03-31", "2025..2025-03"),
        ("2025-11-30..2025-11", "2025-11-30", "2025-11-30", "2025-11-30..2025-11"),
        ("2025-H1", "2025-01-01", "2025-06-30", "2025-H1"),
        ("2024-h2", "2024-07-01", "2024-12-31", "2024-H2"),
        ("2024-H2..2025-Q1", "2024-07-01", "2025-03-31", "2024-H2..2025-Q1"),
    ]

    @Test(arguments: resolutions)
    func resolvesToTheDaysItCovers(text: String, first: String, last: String, canonical: String) throws {
        let period = try PeriodSpec(parsing: text)
        let range = try #require(period.dayRange())
        #expect(CivilDate(dayNumber: range.first).description == first)
        #expect(CivilDate(dayNumber: range.last).description == last)
        #expect(period.description == canonical)
        #expect(try PeriodSpec(parsing: canonical) == period)
    }

    @Test func coversEverythingForAll() throws {
        #expect(try PeriodSpec(parsing: "all") == .all)
        #expect(try PeriodSpec(parsing: " ALL ") == .all)
        #expect(PeriodSpec.all.dayRange() == nil)
        #expect(PeriodSpec.all.description == "all")
    }

    @Test func buildsTheSameValuesAsTheParser() throws {
        #expect(try PeriodSpec(parsing: "2025-11") == .month(2025, 11))
        #expect(try PeriodSpec(parsing: "2025-Q4") == .quarter(2025, 4))
        #expect(try PeriodSpec(parsing: "2025") == .year(2025))
        #expect(try PeriodSpec(parsing: "2025-11-03") == .day(2025, 11, 3))
        #expect(
            try PeriodSpec(parsing: "2025-01..2025-06-15")
                == .range(from: .month(year: 2025, month: 1), through: .day(CivilDate(year: 2025, month: 6, day: 15)))
        )
    }

    @Test(arguments: ["2024-02-29", "2000-02-29", "2400-02-29"])
    func acceptsLeapDays(text: String) throws {
        #expect(try PeriodSpec(parsing: text).description == text)
    }

    @Test(arguments: ["2025-02-29", "1900-02-29", "2100-02-29"])
    func rejectsLeapDaysOfCommonYears(text: String) {
        #expect(throws: QueryError.self) { try PeriodSpec(parsing: text) }
    }

    @Test(
        arguments: [
            ("", QueryError.Code.missingPeriod, 1, "missing period at column 1; \(QueryErrorTests.periodForms)"),
            ("2025-11 2025-12", .unexpectedWord, 9, "unexpected '2025-12' at column 9; expected one period"),
            ("Q4", .invalidPeriod, 1, "invalid period 'Q4' at column 1; \(QueryErrorTests.periodForms)"),
            (
                "2025-Q0", .invalidPeriod, 1,
                "invalid period '2025-Q0' at column 1; there is no quarter 0 (quarters are Q1 to Q4)"
            ),
            (
                "2025-00", .invalidPeriod, 1,
                "invalid period '2025-00' at column 1; there is no month 00 (months are 01 to 12)"
            ),
            ("2025-04-31", .invalidPeriod, 1, "invalid period '2025-04-31' at column 1; 2025-04 has only 30 days"),
            (
                "2025-H3", .invalidPeriod, 1,
                "invalid period '2025-H3' at column 1; there is no half-year 3 (half-years are H1 and H2)"
            ),
            (
                "2025-01..2025-02-30", .invalidPeriod, 10,
                "invalid period '2025-02-30' at column 10; 2025-02 has only 28 days"
            ),
            (
                "2025..2026..2027", .invalidPeriod, 7,
                "invalid range end '2026..2027' at column 7; each end of a range is a month, quarter, half-year, year or day, e.g. 2025-01..2025-06"
            ),
            (
                "2025-11-03..2025-11-02", .invalidPeriod, 1,
                "invalid period '2025-11-03..2025-11-02' at column 1; the range ends (2025-11-02) before it starts (2025-11-03)"
            ),
            ("２０２５", .invalidPeriod, 1, "invalid period '２０２５' at column 1; \(QueryErrorTests.periodForms)"),
        ] as [(String, QueryError.Code, Int, String)]
    )
    func explainsWhyAPeriodIsWrong(text: String, code: QueryError.Code, column: Int, description: String) {
        do {
            let period = try PeriodSpec(parsing: text)
            Issue.record("accepted \(period)")
        } catch {
            #expect(error.code == code)
            #expect(error.column == column)
            #expect(error.description == description)
        }
    }

    @Test func printsYearsWithFourDigits() {
        #expect(PeriodSpec.year(987).description == "0987")
        #expect(PeriodSpec.quarter(987, 2).description == "0987-Q2")
    }

    @Test(
        arguments: [
            ("2025-H1 vs prev", "2024-07-01", "2024-12-31"),
            ("2025-H2 vs prev", "2025-01-01", "2025-06-30"),
            ("2025-H1 vs yoy", "2024-01-01", "2024-06-30"),
            ("2025-01..2025-06 vs prev", "2024-07-01", "2024-12-31"),
            ("2024-12..2025-02 vs prev", "2024-09-01", "2024-11-30"),
            ("2025-11-01..2025-11-15 vs prev", "2025-10-17", "2025-10-31"),
        ] as [(String, String, String)]
    )
    func comparesAHalfYearOrARangeWithTheSpanJustBefore(text: String, first: String, last: String) throws {
        let query = try Query(parsing: "overview " + text)
        let comparison = try #require(query.scope.comparison)
        let today = CivilDate(year: 2025, month: 12, day: 5)
        let range = try #require(comparison.dayRange(for: query.scope.period, today: today))
        #expect(CivilDate(dayNumber: range.first).description == first)
        #expect(CivilDate(dayNumber: range.last).description == last)
    }
}
