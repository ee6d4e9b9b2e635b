import Testing

@testable import LeanStatsCore

/// Time columns take four bytes a row when their instants lie within 136 years of each other, eight otherwise, and
/// read back exactly the seconds they were made from either way.
struct TimeColumnTests {
    let missing = InstanceTable.missingTime
    let base: Int64 = 1_600_000_000

    @Test func instantsUpToTheWidestOffsetApartTakeFourBytesAndReadBackExactly() {
        let values = [base + 4_294_967_294, missing, base, base + 86_400]
        let column = TimeColumn(values)
        #expect(column.bytesPerRow == 4)
        #expect(Array(column) == values)
        #expect(column.withTimeBuffer { buffer in (0..<buffer.count).map { buffer[$0] } } == values)
    }

    @Test func instantsOneSecondFurtherApartTakeEightBytesAndReadBackExactly() {
        let values = [base, missing, base + 4_294_967_295]
        let column = TimeColumn(values)
        #expect(column.bytesPerRow == 8)
        #expect(Array(column) == values)
        #expect(column.withTimeBuffer { buffer in (0..<buffer.count).map { buffer[$0] } } == values)
        let limits = TimeColumn([ValueLimits.instants.lowerBound, ValueLimits.instants.upperBound - 1])
        #expect(limits.bytesPerRow == 8)
        #expect(Array(limits) == [ValueLimits.instants.lowerBound, ValueLimits.instants.upperBound - 1])
    }

    @Test func aColumnWithoutAnyTimeTakesFourBytesAndReadsMissing() {
        let column = TimeColumn([missing, missing])
        #expect(column.bytesPerRow == 4)
        #expect(Array(column) == [missing, missing])
        #expect(TimeColumn([]).isEmpty)
    }

    @Test func aPatchBeyondTheOffsetsWidensTheColumnAndAPatchBackNarrowsItAgain() {
        let column = TimeColumn([base, base + 10, missing])
        let incoming = TimeColumn([base - 1, base + 20, base + 30])
        let earlier = column.patched(incoming, writes: [(row: 1, batchRow: 1), (row: 0, batchRow: 0)], appending: [2])
        #expect(earlier.bytesPerRow == 4)
        #expect(Array(earlier) == [base - 1, base + 20, missing, base + 30])

        let far = TimeColumn([base + 5_000_000_000])
        let widened = column.patched(far, writes: [(row: 2, batchRow: 0)], appending: [])
        #expect(widened.bytesPerRow == 8)
        #expect(Array(widened) == [base, base + 10, base + 5_000_000_000])

        let back = widened.patched(TimeColumn([missing]), writes: [(row: 2, batchRow: 0)], appending: [])
        #expect(back.bytesPerRow == 4)
        #expect(back == column)
    }

    @Test func columnsOfTheSameInstantsAreEqualWhateverTheirBase() {
        let column = TimeColumn([base, base + 10])
        let appended = TimeColumn([base - 5]).patched(column, writes: [(row: 0, batchRow: 0)], appending: [1])
        #expect(appended == column)
        #expect(TimeColumn([base, base + 11]) != column)
    }

    @Test func processingAndOpenDaysAreTheSameWhetherTheTimesTakeFourOrEightBytes() throws {
        let clock = try ZoneClock(identifier: "Asia/Shanghai")
        let day: Int64 = 86_400
        func records(startingAt start: Int64, lastAt last: Int64) -> [InstanceRecord] {
            [
                InstanceRecord(
                    instanceId: "a",
                    createTime: start,
                    finishTime: start + 10 * day,
                    status: .completed,
                    result: .agree
                ),
                InstanceRecord(instanceId: "b", createTime: start + day, status: .running),
                InstanceRecord(
                    instanceId: "c",
                    createTime: last,
                    finishTime: last + 30 * day,
                    status: .completed,
                    result: .refuse
                ),
            ]
        }
        func overview(_ records: [InstanceRecord]) -> (table: InstanceTable, statistics: GroupStatistics) {
            var builder = InstanceTableBuilder()
            for record in records { builder.upsert(record) }
            let table = builder.build()
            let engine = StatisticsEngine(
                table: table,
                clock: clock,
                options: KernelOptions(workers: 1, morselSize: 29, occurrenceScanRows: 0)
            )
            return (table, engine.overview(period: nil, options: [.processing, .percentiles, .openAge]))
        }
        let near = overview(records(startingAt: base, lastAt: base + 400 * day))
        let far = overview(records(startingAt: 86_400, lastAt: ValueLimits.instants.upperBound - 31 * day))
        #expect(near.table.createTime.bytesPerRow == 4)
        #expect(far.table.createTime.bytesPerRow == 8)
        #expect(far.table.finishTime.bytesPerRow == 8)
        for statistics in [near.statistics, far.statistics] {
            #expect(statistics.completed == 2)
            #expect(statistics.totalDays == 40)
            #expect(statistics.minDays == 10)
            #expect(statistics.maxDays == 30)
            #expect(statistics.open == 1)
            #expect(statistics.p50Days == 20)
        }
        #expect(near.statistics.openCreatedDays == clock.dayNumber(at: base + day))
        #expect(far.statistics.openCreatedDays == clock.dayNumber(at: 2 * day))
    }

    @Test func partsAppendedToAColumnReadBackInOrderAndAreEmptiedAsTheyAreCopied() {
        let head = TimeColumn([base + 50, missing])
        var parts: [[Int64]] = [[base + 10, missing], [], [base + 4_000_000_000]]
        let column = TimeColumn(concatenating: head, &parts)
        #expect(Array(column) == [base + 50, missing, base + 10, missing, base + 4_000_000_000])
        #expect(column.bytesPerRow == 4)
        #expect(parts.allSatisfy { $0.isEmpty })
    }

    @Test func partsThatSpanMoreThanTheOffsetsCanHoldMakeAnEightByteColumn() {
        var parts: [[Int64]] = [[base], [base + 4_294_967_295]]
        let column = TimeColumn(concatenating: TimeColumn([base + 1]), &parts)
        #expect(Array(column) == [base + 1, base, base + 4_294_967_295])
        #expect(column.bytesPerRow == 8)
        var none: [[Int64]] = [[], []]
        #expect(TimeColumn(concatenating: column, &none) == column)
    }
}
