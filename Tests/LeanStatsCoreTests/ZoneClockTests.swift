import LeanStatsCore
import Testing

/// Local time conversions that periods and processing days depend on.
struct ZoneClockTests {
    @Test func shanghaiMidnightIsSixteenHundredUTCTheDayBefore() throws {
        let clock = try ZoneClock(identifier: "Asia/Shanghai")
        #expect(clock.parseLocal("2025-11-01 00:00:00") == 1_761_926_400)
        #expect(clock.dayNumber(at: 1_761_926_400) == CivilDate(year: 2025, month: 11, day: 1).dayNumber)
        #expect(clock.dayNumber(at: 1_761_926_399) == CivilDate(year: 2025, month: 10, day: 31).dayNumber)
        #expect(clock.format(1_761_926_400) == "2025-11-01 00:00:00")
    }

    @Test func v1TimesWithALiteralZAreReadAsLocalWallTime() throws {
        let clock = try ZoneClock(identifier: "Asia/Shanghai")
        #expect(clock.parseLocal("2026-04-16T15:34Z") == 1_776_324_840)
    }

    @Test func aZoneWithDaylightSavingHasTwoOffsets() throws {
        let clock = try ZoneClock(identifier: "Europe/Berlin")
        let winter = clock.parseLocal("2025-01-15 12:00:00")!
        let summer = clock.parseLocal("2025-07-15 12:00:00")!
        #expect(clock.offset(at: winter) == 3600)
        #expect(clock.offset(at: summer) == 7200)
        #expect(clock.format(summer) == "2025-07-15 12:00:00")
        #expect(clock.startOfDay(CivilDate(year: 2025, month: 3, day: 30).dayNumber) == 1_743_289_200)
    }

    @Test func invalidTimesAndZonesAreRejected() {
        #expect(throws: ZoneClock.UnknownZone.self) { try ZoneClock(identifier: "Mars/Base") }
        let clock = try! ZoneClock(identifier: "UTC")
        #expect(clock.parseLocal("2025-02-30 10:00:00") == nil)
        #expect(clock.parseLocal("2025-11-01 25:00:00") == nil)
        #expect(clock.parseLocal("yesterday") == nil)
        #expect(clock.parseLocal("2025-11-01") == 1_761_955_200)
    }

    @Test(
        arguments: [
            ("2025-11-03 09:15:07", 1_762_161_307 as Int64?), ("2025-11-03T09:15:07Z", 1_762_161_307),
            ("2025-11-03 09:15", 1_762_161_300), ("2025-11-03", 1_762_128_000),
            ("2025-11-03 09:15:07.250", 1_762_161_307),
            ("2025-11-03 09:15:07   ", 1_762_161_307), ("2016-12-31 23:59:60", 1_483_228_799),
            ("2025-11-03 09:15:07.", nil), ("2025-11-03 09:15:07.1234567890123456789012345", 1_762_161_307),
            ("2025-02-29 00:00:00", nil), ("2025-11-03 24:00:00", nil), ("2025-11-03 09:60:00", nil),
            ("2025-11-0x 09:15:07", nil), ("2025/11/03", nil), ("", nil), ("2025-11-03 9:15:07", nil),
        ]
    )
    func localTimesParseFromBytesAsFromText(text: String, expected: Int64?) {
        #expect(Array(text.utf8).withUnsafeBufferPointer { parseLocalSeconds(bytes: $0) } == expected)
        #expect(parseLocalSeconds(Substring(text)) == expected)
    }

    @Test(arguments: [-800_000, -1, 0, 1, 59, 365, 10_957, 20_000, 2_932_896])
    func dayNumbersRoundTripThroughCivilDates(day: Int) {
        #expect(CivilDate(dayNumber: day).dayNumber == day)
        #expect(CivilDate(dayNumber: day).isValid)
    }
}
