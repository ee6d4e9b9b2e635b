import LeanStatsTestSupport
import Testing

@testable import LeanStatsCore

/// Each day's first row gives the same periods and creation days as the creation times themselves, in zones with
/// and without daylight saving time.
struct DayIndexTests {
    @Test(arguments: ["Asia/Shanghai", "Europe/Berlin", "America/Sao_Paulo", "UTC"])
    func creationDaysAndPeriodStartsEqualThoseOfTheTimes(zone: String) throws {
        let clock = try ZoneClock(identifier: zone)
        var random = SeededGenerator(seed: 7)
        // 2018-10-20 .. 2019-04-10 UTC: Sao Paulo skipped the midnight of 2018-11-04, Berlin moved its clocks twice.
        let times = (0..<20_000).map { _ in Int64.random(in: 1_539_993_600..<1_554_854_400, using: &random) }.sorted()
        let index = DayIndex(times: TimeColumn(times), clock: clock)
        for row in times.indices {
            #expect(index.day(ofRow: row) == clock.dayNumber(at: times[row]), "row \(row)")
        }
        let first = clock.dayNumber(at: times[0])
        let last = clock.dayNumber(at: times[times.count - 1])
        for day in (first - 3)...(last + 3) {
            let expected = times.firstIndex { $0 >= clock.startOfDay(day) } ?? times.count
            #expect(index.firstRow(onOrAfterDay: day) == expected, "day \(day)")
        }
    }

    @Test func anEmptyTableHasNoRowsOnAnyDay() throws {
        let index = DayIndex(times: [], clock: try ZoneClock(identifier: "Asia/Shanghai"))
        #expect(index.firstRow(onOrAfterDay: 0) == 0)
        #expect(index.firstRow(onOrAfterDay: 20_000) == 0)
    }
}
