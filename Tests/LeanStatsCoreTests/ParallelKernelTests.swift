import LeanStatsCore
import LeanStatsTestSupport
import Testing

/// The parallel kernels must give exactly what one worker and a naive reference give.
struct ParallelKernelTests {
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    static let sizes = [0, 1, 2, 15, 16, 17, 31, 32, 33, 64, 65, 200, 1000]

    func engines(
        _ records: [InstanceRecord],
        bitmapBits: Int = 1 << 26
    ) -> (serial: StatisticsEngine, parallel: StatisticsEngine) {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        return (
            StatisticsEngine(
                table: table,
                clock: clock,
                options: KernelOptions(workers: 1, morselSize: 1 << 30, distinctBitmapBits: bitmapBits)
            ),
            StatisticsEngine(
                table: table,
                clock: clock,
                // The parallel engine counts distinct values of unfiltered ranges from the previous-occurrence
                // columns at every size; the serial one keeps the bitmaps: both must equal the reference.
                options: KernelOptions(
                    workers: 4,
                    morselSize: 16,
                    distinctBitmapBits: bitmapBits,
                    occurrenceScanRows: 0
                )
            )
        )
    }

    @Test(arguments: sizes)
    func parallelRunsAgreeWithOneWorkerAndWithTheReference(size: Int) {
        let records = randomInstances(count: size, seed: UInt64(size) + 7)
        let (serial, parallel) = engines(records)
        let reference = ReferenceStatistics(records: records, clock: clock)
        let periods: [DayRange?] = [
            nil,
            DayRange(from: CivilDate(year: 2024, month: 3, day: 1), through: CivilDate(year: 2024, month: 8, day: 31)),
        ]
        let filters = [
            StatisticsFilter.none, StatisticsFilter(deptName: "生产部"), StatisticsFilter(status: .completed),
            StatisticsFilter(category: "安全改善"),
        ]
        for period in periods {
            for filter in filters {
                #expect(
                    parallel.overview(period: period, filter: filter) == serial.overview(period: period, filter: filter)
                )
                #expect(parallel.overview(period: period, filter: filter) == reference.overview(period, filter))
                for dimension in Dimension.allCases {
                    let expected = reference.grouped(by: dimension, period, filter)
                    #expect(serial.grouped(by: dimension, period: period, filter: filter) == expected, "\(dimension)")
                    #expect(parallel.grouped(by: dimension, period: period, filter: filter) == expected, "\(dimension)")
                }
                #expect(parallel.topProposers(10, period: period, filter: filter) == reference.top(10, period, filter))
                #expect(
                    serial.topProposers(1000, period: period, filter: filter) == reference.top(1000, period, filter)
                )
            }
        }
    }

    @Test(arguments: [0, 1 << 26])
    func distinctCountsAreExactInBothBitmapAndFirstGroupMode(bitmapBits: Int) {
        // A zero bitmap budget forces the first-group table with its list of users seen in several groups.
        let records = randomInstances(count: 3000, seed: 99, users: 300)
        let (serial, parallel) = engines(records, bitmapBits: bitmapBits)
        let reference = ReferenceStatistics(records: records, clock: clock)
        for dimension in Dimension.allCases {
            #expect(parallel.grouped(by: dimension, period: nil) == reference.grouped(by: dimension, nil))
            #expect(serial.grouped(by: dimension, period: nil) == reference.grouped(by: dimension, nil))
        }
        #expect(parallel.overview(period: nil) == reference.overview(nil))
    }
}
