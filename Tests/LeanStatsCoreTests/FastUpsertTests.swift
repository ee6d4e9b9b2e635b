import LeanStatsTestSupport
import Testing

@testable import LeanStatsCore

/// The fast path of `upserting` for small batches gives exactly the table of the general path.
struct FastUpsertTests {
    /// A stored table of random instances.
    private func storedTable(seed: UInt64, count: Int = 400) -> InstanceTable {
        var builder = InstanceTableBuilder()
        for record in randomInstances(count: count, seed: seed) { builder.upsert(record) }
        return builder.build()
    }

    /// A small random batch: changed and identical copies of stored rows, values already stored and new ones, new
    /// instances created at or after the last row, a new form field, and instance ids repeated in the batch.
    private func smallBatch(for table: InstanceTable, seed: UInt64, size: Int) -> [InstanceRecord] {
        var random = SeededGenerator(seed: seed)
        let last = table.createTime.last ?? 0
        let names = (0..<table.userName.dictionary.count).compactMap { table.userName.dictionary[UInt32($0)] }
        var records: [InstanceRecord] = []
        for index in 0..<size {
            var record = table.record(at: Int.random(in: 0..<table.rowCount, using: &random))
            switch Int.random(in: 0..<8, using: &random) {
            case 0: break
            case 1: record.status = .canceled
            case 2: record.originatorUserName = names.randomElement(using: &random)
            case 3: record.title = "改了 \(seed)-\(index)"
            case 4: record.formFields.append(FormField(name: "新字段 \(index % 2)", value: "值 \(index % 3)"))
            case 5: record.formFields.removeAll()
            default:
                record.instanceId = "new-\(seed)-\(index)"
                record.businessId = "B\(seed)-\(index)"
                record.createTime = last + Int64(index) * 60
                if index % 2 == 0 { record.title = "新提案 \(index % 3)" }
            }
            records.append(record)
            if Int.random(in: 0..<6, using: &random) == 0 {
                // The same instance again, changed or not.
                var again = record
                if index % 2 == 0 { again.finishTime = (again.finishTime ?? again.createTime) + 3600 }
                records.append(again)
            }
        }
        return records
    }

    /// Expects equal tables, both as stored and decoded, and a valid result.
    private func expectSame(_ fast: InstanceTable, _ general: InstanceTable) throws {
        #expect(fast == general)
        #expect(fast.rowCount == general.rowCount)
        for row in 0..<min(fast.rowCount, general.rowCount) where fast.record(at: row) != general.record(at: row) {
            Issue.record("row \(row) differs: \(fast.record(at: row)) vs \(general.record(at: row))")
            break
        }
        for (fastColumn, generalColumn) in zip(fast.namedTextColumns, general.namedTextColumns) {
            #expect(fastColumn.name == generalColumn.name)
            #expect(fastColumn.column.dictionary == generalColumn.column.dictionary)
        }
        try fast.validate()
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func aSmallBatchGivesTheTableOfTheGeneralPath(seed: UInt64) throws {
        let table = storedTable(seed: seed)
        let batch = try UpsertTests.batch(smallBatch(for: table, seed: seed, size: Int(seed) * 5))
        let general = table.generalUpserting(batch)
        let fast = try #require(table.fastUpserting(batch))
        #expect(fast.counts == general.counts)
        try expectSame(fast.table, general.table)
    }

    @Test func successiveBatchesBuildOnTheSharedIndexes() throws {
        var fastTable = storedTable(seed: 7)
        var generalTable = fastTable
        for step in 0..<12 {
            let records = smallBatch(for: generalTable, seed: 100 + UInt64(step), size: 1 + step % 4)
            let batch = try UpsertTests.batch(records)
            let general = generalTable.generalUpserting(batch)
            let fast = try #require(fastTable.fastUpserting(batch))
            #expect(fast.counts == general.counts)
            try expectSame(fast.table, general.table)
            #expect(fast.table.upsertMembership.withLock { $0 } != nil)
            (fastTable, generalTable) = (fast.table, general.table)
        }
    }

    @Test func aTablePreparedForUpsertsGivesTheSameTable() throws {
        let table = storedTable(seed: 14)
        table.prepareForUpserts()
        let batch = try UpsertTests.batch(smallBatch(for: table, seed: 41, size: 10))
        let fast = try #require(table.fastUpserting(batch))
        let general = table.generalUpserting(batch)
        #expect(fast.counts == general.counts)
        try expectSame(fast.table, general.table)
    }

    @Test func aTableWrittenOutWithoutSharingLeavesTheIndexesToTheTableKept() throws {
        let table = storedTable(seed: 15)
        let first = try UpsertTests.batch(smallBatch(for: table, seed: 51, size: 4))
        let written = table.upserting(first, sharingIndexes: false).table
        #expect(written.upsertMembership.withLock { $0 } == nil)
        let kept = try #require(table.fastUpserting(first))
        #expect(kept.table.upsertMembership.withLock { $0 }?.generation == 1)
        try expectSame(written, kept.table)
    }

    @Test func anOlderTableUpsertedAgainStillFindsItsOwnValues() throws {
        let base = storedTable(seed: 8)
        let first = try UpsertTests.batch(smallBatch(for: base, seed: 21, size: 6))
        let second = try UpsertTests.batch(smallBatch(for: base, seed: 22, size: 6))
        // The first upsert extends the indexes; the base is no longer the newest table of its lineage.
        _ = try #require(base.fastUpserting(first))
        let fast = try #require(base.fastUpserting(second))
        let general = base.generalUpserting(second)
        #expect(fast.counts == general.counts)
        try expectSame(fast.table, general.table)
    }

    @Test(arguments: [21, 22, 23] as [UInt64])
    func upsertsFromTheNewestAndFromOlderTablesInAnyOrderMatchTheGeneralPath(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var tables = [storedTable(seed: seed, count: 300)]
        for step in 0..<24 {
            let source = Bool.random(using: &random) ? tables.last! : tables.randomElement(using: &random)!
            let records =
                step % 7 == 6
                // Rows mid-order: the general path, which hands the dictionary indexes on.
                ? randomInstances(count: 40, seed: seed * 1000 + UInt64(step))
                : smallBatch(for: source, seed: seed * 100 + UInt64(step), size: 1 + step % 5)
            let batch = try UpsertTests.batch(records)
            let general = source.generalUpserting(batch, sharingIndexes: false)
            let (table, counts) = source.upserting(batch)
            #expect(counts == general.counts)
            try expectSame(table, general.table)
            tables.append(table)
        }
    }

    @Test func rowsKeepTheirPlacesThroughFastUpsertsUntilTheGeneralPathMovesThem() throws {
        let table = storedTable(seed: 16)
        #expect(!table.keepsRows(since: table.upsertMark))
        let first = table.upserting(try UpsertTests.batch(smallBatch(for: table, seed: 61, size: 5))).table
        let second = first.upserting(try UpsertTests.batch(smallBatch(for: first, seed: 62, size: 5))).table
        #expect(second.keepsRows(since: table.upsertMark))
        #expect(second.keepsRows(since: first.upsertMark))
        #expect(!first.keepsRows(since: second.upsertMark))
        for row in 0..<table.rowCount { #expect(second.instanceId[row] == table.instanceId[row]) }
        let moved = second.upserting(try UpsertTests.batch(randomInstances(count: 40, seed: 63))).table
        #expect(!moved.keepsRows(since: second.upsertMark))
        let after = moved.upserting(try UpsertTests.batch(smallBatch(for: moved, seed: 64, size: 3))).table
        #expect(after.keepsRows(since: moved.upsertMark))
        #expect(!after.keepsRows(since: table.upsertMark))
    }

    @Test func identicalRecordsCountAsUnchangedAndLeaveTheTableAlone() throws {
        let table = storedTable(seed: 9)
        let records = stride(from: 0, to: table.rowCount, by: 37).map(table.record(at:))
        let (upserted, counts) = try #require(table.fastUpserting(try UpsertTests.batch(records)))
        #expect(counts == UpsertCounts(unchanged: records.count))
        #expect(upserted == table)
    }

    @Test func aNewRowBeforeTheLastOneFallsBackToTheGeneralPath() throws {
        let table = storedTable(seed: 10)
        var record = table.record(at: 5)
        record.instanceId = "in-the-middle"
        let batch = try UpsertTests.batch([record])
        #expect(table.fastUpserting(batch) == nil)
        let (upserted, counts) = table.upserting(batch)
        #expect(counts == UpsertCounts(inserted: 1))
        try expectSame(upserted, table.generalUpserting(batch).table)
        #expect(Array(upserted.createTime) == upserted.createTime.sorted())
    }

    @Test func aChangedCreationTimeOutOfOrderFallsBackToTheGeneralPath() throws {
        let table = storedTable(seed: 11)
        var record = table.record(at: 3)
        record.createTime = table.createTime.last! + 1
        let batch = try UpsertTests.batch([record])
        #expect(table.fastUpserting(batch) == nil)
        let (upserted, counts) = table.upserting(batch)
        #expect(counts == UpsertCounts(updated: 1))
        #expect(Array(upserted.createTime) == upserted.createTime.sorted())
        try expectSame(upserted, table.generalUpserting(batch).table)
    }

    @Test func codesWidenWhenADictionaryOutgrowsOneByte() throws {
        // 254 distinct titles: codes up to 254 fit a byte; two new titles need two.
        var builder = InstanceTableBuilder()
        for (index, var record) in randomInstances(count: 254, seed: 12).enumerated() {
            record.title = "标题 \(index)"
            builder.upsert(record)
        }
        let table = builder.build()
        #expect(table.title.codes.width == 1)
        var records = [table.record(at: 0), table.record(at: 1)]
        records[0].title = "新标题 0"
        records[1].title = "新标题 1"
        let batch = try UpsertTests.batch(records)
        let fast = try #require(table.fastUpserting(batch))
        #expect(fast.table.title.codes.width == 2)
        try expectSame(fast.table, table.generalUpserting(batch).table)
    }

    @Test func theGeneralPathHandsTheIndexesOnToItsTable() throws {
        let table = storedTable(seed: 13)
        let small = try UpsertTests.batch(smallBatch(for: table, seed: 31, size: 3))
        let afterFast = try #require(table.fastUpserting(small)).table
        // A large batch with rows mid-order takes the general path, which keeps the dictionary indexes.
        let large = try UpsertTests.batch(randomInstances(count: 300, seed: 32))
        let afterGeneral = afterFast.upserting(large).table
        #expect(afterGeneral.upsertMembership.withLock { $0 } != nil)
        let next = try UpsertTests.batch(smallBatch(for: afterGeneral, seed: 33, size: 8))
        let fast = try #require(afterGeneral.fastUpserting(next))
        let general = afterGeneral.generalUpserting(next)
        #expect(fast.counts == general.counts)
        try expectSame(fast.table, general.table)
    }
}
