import LeanStatsCore
import LeanStatsReport
import LeanStatsTestSupport
import Testing

struct ReportContentTests {
    @Test func theFiguresAreTheEnginesForThePeriodAndThePeriodBefore() throws {
        let content = try ReportFixture.content("2025-11")
        let engine = ReportFixture.engine
        let november = DayRange(
            from: CivilDate(year: 2025, month: 11, day: 1),
            through: CivilDate(year: 2025, month: 11, day: 30)
        )
        let october = DayRange(
            from: CivilDate(year: 2025, month: 10, day: 1),
            through: CivilDate(year: 2025, month: 10, day: 31)
        )
        #expect(content.current == engine.overview(period: november))
        #expect(content.previous == engine.overview(period: october))
        let withBenefit = StatisticsOptions.standard.union(.benefit)
        #expect(
            content.departments.map(\.current)
                == engine.grouped(by: .dimension(.dept), period: november, options: withBenefit)
        )
        #expect(
            content.categories.map(\.current)
                == engine.grouped(by: .dimension(.category), period: november, options: withBenefit)
        )
        #expect(content.proposers.map(\.statistics) == engine.topProposers(10, period: november))
        let octoberCounts = Dictionary(
            uniqueKeysWithValues: engine.grouped(by: .dept, period: october).map { ($0.key, $0.count) }
        )
        for row in content.departments {
            #expect(row.previousCount == octoberCounts[row.current.key] ?? 0)
        }
    }

    @Test func theTrendHasTwelveMonthsWithEmptyMonthsAsZeros() throws {
        // The sample starts in 2024-12, so the trend of 2025-03 has nine empty months.
        let content = try ReportFixture.content("2025-03")
        #expect(content.trend.map(\.month.monthText).first == "2024-04")
        #expect(content.trend.count == 12)
        #expect(content.trend.prefix(8).allSatisfy { $0.statistics.count == 0 })
        let engineMonths = ReportFixture.engine.grouped(
            by: .month,
            period: DayRange(
                from: CivilDate(year: 2024, month: 4, day: 1),
                through: CivilDate(year: 2025, month: 3, day: 31)
            )
        )
        #expect(content.trend.suffix(4).map(\.statistics) == engineMonths)
    }

    @Test func detailsListEveryInstanceOfThePeriodAndTheirDaysAddUpToTheEfficiencyFigures() throws {
        let content = try ReportFixture.content("2025-Q4")
        #expect(content.details.count == content.current.count)
        #expect(content.details.map(\.createTime) == content.details.map(\.createTime).sorted())
        let days = content.details.compactMap(\.days)
        #expect(days.count == content.current.completed)
        #expect(days.reduce(0, +) == content.current.totalDays)
        #expect(days.min() == content.current.minDays)
        #expect(days.max() == content.current.maxDays)
        #expect(content.durations.map(\.count).reduce(0, +) == content.current.completed)
        #expect(content.durations.prefix(3).map(\.count).reduce(0, +) == content.current.within30)
    }

    @Test func aHalfYearAndARangeCountTheSameInstancesAsTheQueryLanguage() throws {
        for (period, previous) in [("2025-H2", "2025-H1"), ("2025-09..2025-11", "2025-06..2025-08")] {
            let content = try ReportFixture.content(period)
            let now = try ReportFixture.executor.run("overview \(period)")
            let before = try ReportFixture.executor.run("overview \(previous)")
            #expect(now.rows.first?.first == .int(content.current.count), "\(period)")
            #expect(before.rows.first?.first == .int(content.previous.count), "\(previous)")
            #expect(content.details.count == content.current.count)
            #expect(content.request.period.previous.description == previous)
        }
    }

    @Test func aDepartmentPackCountsOnlyThatDepartment() throws {
        let content = try ReportFixture.content("2025-11", dept: "质量部")
        let november = DayRange(
            from: CivilDate(year: 2025, month: 11, day: 1),
            through: CivilDate(year: 2025, month: 11, day: 30)
        )
        #expect(
            content.current
                == ReportFixture.engine.overview(period: november, filter: StatisticsFilter(deptName: "质量部"))
        )
        #expect(content.departments.map(\.current.key) == ["质量部"])
        #expect(content.details.allSatisfy { $0.deptName == "质量部" })
        #expect(content.details.count == content.current.count)
    }

    @Test func anUnknownDepartmentIsRefusedWithTheNamesThatExist() {
        do {
            _ = try ReportFixture.content("2025-11", dept: "质量")
            Issue.record("an unknown department was accepted")
        } catch {
            #expect(error.code == .unknownDepartment)
            #expect(
                error.description == "report error: no instance in the store has the department '质量'; did you mean: 质量部"
            )
        }
    }

    @Test func proposersWithEqualCountsShareAPlace() {
        let rows = RankedProposer.rank(
            [9, 7, 7, 5, 5, 5, 1].enumerated().map { index, count in
                ProposerStatistics(userId: "u\(index)", userName: "员工\(index)", deptName: nil, count: count, passed: 0)
            }
        )
        #expect(rows.map(\.rank) == [1, 2, 2, 4, 4, 4, 7])
    }

    @Test func processingTimesFallIntoTheirBrackets() {
        let buckets = DurationBucket.count([0, 7, 8, 15, 16, 30, 31, 60, 61, 400])
        #expect(buckets.map(\.count) == [2, 2, 2, 2, 2])
        #expect(buckets.map(\.label) == ["7天以内", "8–15天", "16–30天", "31–60天", "60天以上"])
    }

    @Test func theAsOfTimeIsTheNewestCreationInTheStoreNotTheNewestFinish() throws {
        let content = try ReportFixture.content("2025-03")
        let table = ReportFixture.engine.table
        let newestFinish = table.finishTime.filter { $0 != InstanceTable.missingTime }.max() ?? 0
        #expect(content.asOf == table.createTime.max())
        #expect(newestFinish > table.createTime.max() ?? 0)
    }
}
