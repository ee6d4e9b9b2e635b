import LeanStatsCore
import Testing

@testable import LeanStatsService

struct ScheduleTests {
    let shanghai = try! ZoneClock(identifier: "Asia/Shanghai")
    let newYork = try! ZoneClock(identifier: "America/New_York")

    private func at(_ text: String, _ zone: ZoneClock) -> Int64 { zone.parseLocal(text)! }

    @Test(arguments: [
        ("02:00", "02:00"), ("sun 03:00", "sun 03:00"), ("Sunday 3:00", "sun 03:00"), ("1 08:00", "1 08:00"),
    ])
    func parsesTheThreeForms(text: String, canonical: String) throws {
        #expect(try Schedule(parsing: text).description == canonical)
    }

    @Test(arguments: ["25:00", "02:60", "", "xyz 02:00", "32 08:00", "0 08:00", "sun", "1 2 03:00"])
    func rejectsMalformedSchedulesWithTheExpectedForms(text: String) {
        #expect(throws: ServiceError.self) { try Schedule(parsing: text, key: "schedule.daily") }
        do {
            _ = try Schedule(parsing: text, key: "schedule.daily")
        } catch {
            #expect(error.description.contains("schedule.daily") && error.description.contains("sun 03:00"))
        }
    }

    @Test(arguments: [
        ("every 3m", "every 3m"), ("every 90s", "every 90s"), ("every 120s", "every 2m"), ("every 2h", "every 2h"),
        ("Every 60M", "every 1h"), ("every 10s", "every 10s"), ("  every   45s ", "every 45s"),
    ])
    func parsesIntervals(text: String, canonical: String) throws {
        #expect(try Schedule(parsing: text).description == canonical)
    }

    @Test(arguments: [
        "every", "every 3", "every 3d", "every -3m", "every 0m", "every m", "every 3m 02:00", "every 1.5h",
    ])
    func rejectsMalformedIntervalsWithTheExpectedForms(text: String) {
        do {
            _ = try Schedule(parsing: text, key: "schedule.daily")
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.description.contains("'\(text)' is not a schedule") && error.description.contains("every 3m"))
        }
    }

    @Test func rejectsIntervalsShorterThanTenSeconds() {
        do {
            _ = try Schedule(parsing: "every 5s", key: "schedule.daily")
            Issue.record("a 5-second interval was accepted")
        } catch {
            #expect(error.message == "schedule.daily 'every 5s' is too short; the shortest interval is 10s")
        }
    }

    @Test func anIntervalFiresAtMultiplesOfItSinceTheEpochInEveryZone() throws {
        let every3m = try Schedule(parsing: "every 3m")
        let base: Int64 = 1_764_525_600  // 2025-12-01 02:00 Shanghai, a multiple of 180
        for zone in [shanghai, newYork] {
            #expect(every3m.next(after: base, in: zone) == base + 180)
            #expect(every3m.next(after: base - 1, in: zone) == base)
            #expect(every3m.next(after: base + 179, in: zone) == base + 180)
            #expect(every3m.previous(atOrBefore: base, in: zone) == base)
            #expect(every3m.previous(atOrBefore: base + 179, in: zone) == base)
            #expect(every3m.previous(atOrBefore: base - 1, in: zone) == base - 180)
        }
        // An interval that does not divide an hour still lands on multiples of itself.
        let every7m = try Schedule(parsing: "every 7m")
        let fire = every7m.next(after: base + 12_345, in: shanghai)
        #expect(fire % 420 == 0 && fire > base + 12_345 && fire - 420 <= base + 12_345)
        // Before the epoch the division rounds down, too.
        #expect(every3m.previous(atOrBefore: -1, in: shanghai) == -180)
        #expect(every3m.next(after: -1, in: shanghai) == 0)
    }

    @Test func aDailyJobFiresAtTheNextLocalTime() throws {
        let daily = try Schedule(parsing: "02:00")
        #expect(daily.next(after: at("2025-11-30 10:00", shanghai), in: shanghai) == at("2025-12-01 02:00", shanghai))
        #expect(daily.next(after: at("2025-11-30 01:59", shanghai), in: shanghai) == at("2025-11-30 02:00", shanghai))
        // Exactly at the fire time, the next one is tomorrow's.
        #expect(daily.next(after: at("2025-11-30 02:00", shanghai), in: shanghai) == at("2025-12-01 02:00", shanghai))
        #expect(
            daily.previous(atOrBefore: at("2025-11-30 02:00", shanghai), in: shanghai)
                == at("2025-11-30 02:00", shanghai)
        )
        // Asia/Shanghai is UTC+8 all year: 02:00 local is 18:00 UTC the day before.
        #expect(at("2025-12-01 02:00", shanghai) == 1_764_525_600)
    }

    @Test func aWeeklyJobFiresOnItsWeekday() throws {
        let weekly = try Schedule(parsing: "sun 03:00")
        // 2025-11-26 is a Wednesday; the next Sunday is 2025-11-30.
        #expect(weekly.next(after: at("2025-11-26 12:00", shanghai), in: shanghai) == at("2025-11-30 03:00", shanghai))
        #expect(weekly.next(after: at("2025-11-30 03:00", shanghai), in: shanghai) == at("2025-12-07 03:00", shanghai))
        #expect(
            weekly.previous(atOrBefore: at("2025-12-06 23:00", shanghai), in: shanghai)
                == at("2025-11-30 03:00", shanghai)
        )
    }

    @Test func aMonthlyJobFiresOnItsDayAndOnTheLastDayOfShortMonths() throws {
        let monthly = try Schedule(parsing: "1 08:00")
        #expect(monthly.next(after: at("2025-11-15 00:00", shanghai), in: shanghai) == at("2025-12-01 08:00", shanghai))
        #expect(monthly.next(after: at("2025-12-01 08:00", shanghai), in: shanghai) == at("2026-01-01 08:00", shanghai))
        let endOfMonth = try Schedule(parsing: "31 08:00")
        #expect(
            endOfMonth.next(after: at("2026-02-01 00:00", shanghai), in: shanghai) == at("2026-02-28 08:00", shanghai)
        )
        #expect(
            endOfMonth.next(after: at("2028-02-01 00:00", shanghai), in: shanghai) == at("2028-02-29 08:00", shanghai)
        )
    }

    @Test func aTimeSkippedBySpringForwardFiresRightAfterTheGap() throws {
        // New York, 2025-03-09: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist that day.
        let daily = try Schedule(parsing: "02:30")
        let fire = daily.next(after: at("2025-03-09 00:00", newYork), in: newYork)
        #expect(fire > at("2025-03-09 01:59", newYork) && fire <= 1_741_505_400)  // at the latest 07:30 UTC
        #expect(newYork.format(fire).hasPrefix("2025-03-09 03:"))
        // The next day fires at 02:30 EDT, 06:30 UTC.
        #expect(daily.next(after: fire, in: newYork) == 1_741_588_200)
    }

    @Test func aTimeRepeatedByFallBackFiresOnce() throws {
        // New York, 2025-11-02: 01:00–02:00 happens twice (EDT, then EST).
        let daily = try Schedule(parsing: "01:30")
        let first = daily.next(after: at("2025-11-02 00:00", newYork), in: newYork)
        #expect(first == 1_762_061_400)  // 05:30 UTC, the EDT occurrence
        let second = daily.next(after: first, in: newYork)
        #expect(newYork.format(second) == "2025-11-03 01:30:00")
        #expect(second - first == 25 * 3600)
    }

    @Test func aDailyJobInShanghaiIsAlways24HoursApart() throws {
        let daily = try Schedule(parsing: "02:00")
        var fire = at("2025-01-01 02:00", shanghai)
        for _ in 0..<400 {
            let next = daily.next(after: fire, in: shanghai)
            #expect(next - fire == 86_400)
            fire = next
        }
    }
}

/// How often the sync jobs run in an average month, for the quota plan.
struct ScheduleCadenceTests {
    static let month: Double = 365.25 / 12
    static let cases: [(String, Double)] = [
        ("02:00", month), ("sun 03:00", month / 7), ("1 08:00", 1), ("every 2160h", month / 90),
        ("every 12h", month * 2),
    ]

    @Test(arguments: cases)
    func firesPerMonth(text: String, expected: Double) throws {
        #expect(abs(try Schedule(parsing: text).firesPerMonth - expected) < 1e-9)
    }

    @Test func theDefaultScheduleIsADailyIncrementalAndAWeeklyFullSync() {
        var settings = ScheduleSettings()
        #expect(settings.syncCadence.incrementalPerMonth == 365.25 / 12)
        #expect(settings.syncCadence.fullPerMonth == 365.25 / 12 / 7)
        settings.syncEnabled = false
        #expect(settings.syncCadence.incrementalPerMonth == 0 && settings.syncCadence.fullPerMonth == 0)
    }
}
