import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport
import Testing

struct ReportPeriodTests {
    static let today = CivilDate(year: 2025, month: 12, day: 5)

    @Test(
        arguments: [
            ("2025-11", "2025-11", "2025年11月", "2025-10", "2025-11-01", "2025-11-30"),
            ("2025-01", "2025-01", "2025年1月", "2024-12", "2025-01-01", "2025-01-31"),
            ("2025-Q4", "2025-Q4", "2025年第4季度", "2025-Q3", "2025-10-01", "2025-12-31"),
            ("2025-q1", "2025-Q1", "2025年第1季度", "2024-Q4", "2025-01-01", "2025-03-31"),
            ("2025", "2025", "2025年", "2024", "2025-01-01", "2025-12-31"),
            ("  2024-02 ", "2024-02", "2024年2月", "2024-01", "2024-02-01", "2024-02-29"),
            ("last-month", "2025-11", "2025年11月", "2025-10", "2025-11-01", "2025-11-30"),
            ("last-quarter", "2025-Q3", "2025年第3季度", "2025-Q2", "2025-07-01", "2025-09-30"),
            ("this-year", "2025", "2025年", "2024", "2025-01-01", "2025-12-31"),
            ("2025-H1", "2025-H1", "2025年上半年", "2024-H2", "2025-01-01", "2025-06-30"),
            ("2025-h2", "2025-H2", "2025年下半年", "2025-H1", "2025-07-01", "2025-12-31"),
            ("2025-01..2025-06", "2025-01..2025-06", "2025年1月至2025年6月", "2024-07..2024-12", "2025-01-01", "2025-06-30"),
            (
                "2024-11..2025-02", "2024-11..2025-02", "2024年11月至2025年2月", "2024-07..2024-10", "2024-11-01",
                "2025-02-28"
            ),
            (
                "2025-11-01..2025-11-15", "2025-11-01..2025-11-15", "2025年11月1日至2025年11月15日",
                "2025-10-17..2025-10-31", "2025-11-01", "2025-11-15"
            ),
        ] as [(String, String, String, String, String, String)]
    )
    func readsAMonthQuarterHalfYearYearOrRangeAndKnowsThePeriodBefore(
        text: String,
        canonical: String,
        label: String,
        previous: String,
        first: String,
        last: String
    ) throws {
        let period = try ReportPeriod(parsing: text, today: Self.today)
        #expect(period.description == canonical)
        #expect(period.label == label)
        #expect(period.previous.description == previous)
        #expect(period.firstDay.description == first)
        #expect(period.lastDay.description == last)
    }

    @Test(arguments: ["2025-11-03", "all", "last 90d", "ytd"])
    func refusesPeriodsThatAreNotAMonthQuarterHalfYearYearOrRange(text: String) {
        #expect(throws: ReportError.self) { try ReportPeriod(parsing: text, today: Self.today) }
        do {
            _ = try ReportPeriod(parsing: text, today: Self.today)
        } catch {
            #expect(error.code == .invalidPeriod)
            #expect(error.description.contains("2025-11"), "the error shows how to write a month")
        }
    }

    @Test func saysWhatIsWrongWithAMisspelledPeriod() {
        do {
            _ = try ReportPeriod(parsing: "2025-13", today: Self.today)
            Issue.record("2025-13 was accepted")
        } catch {
            #expect(error.code == .invalidPeriod)
            #expect(error.description.hasPrefix("report error: invalid period '2025-13'"))
            #expect(error.description.contains("months are 01 to 12"))
        }
    }

    @Test func theTrendCoversTheTwelveMonthsEndingWithThePeriod() throws {
        let quarter = try ReportPeriod(parsing: "2025-Q1", today: Self.today)
        let months = quarter.trailingMonths(12).map(\.monthText)
        #expect(months.count == 12)
        #expect(months.first == "2024-04")
        #expect(months.last == "2025-03")
        let range = quarter.trailingDayRange(months: 12)
        #expect(CivilDate(dayNumber: range.first).description == "2024-04-01")
        #expect(CivilDate(dayNumber: range.last).description == "2025-03-31")
    }
}
