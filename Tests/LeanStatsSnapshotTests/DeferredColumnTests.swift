import Foundation
import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSnapshot

/// Columns the statistics never read are checked at load and decoded on first use.
struct DeferredColumnTests {
    /// Random instances with a free-text form field besides the category and the benefit, over several blocks.
    static func records() -> [InstanceRecord] {
        var records = randomInstances(count: 3000, seed: 21)
        for index in records.indices where index % 3 != 0 {
            records[index].formFields.append(FormField(name: "提案名称", value: "proposal \(index % 700)"))
        }
        return records
    }

    static func table(_ records: [InstanceRecord]) -> InstanceTable {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return builder.build()
    }

    /// The footer of a snapshot file, read without verifying anything.
    static func footer(of bytes: [UInt8]) throws -> SnapshotFooter {
        let trailer = bytes.count - SnapshotLayout.trailerSize
        let offset = bytes.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: trailer, as: UInt64.self)) }
        return try JSONDecoder().decode(SnapshotFooter.self, from: Data(bytes[offset..<trailer]))
    }

    /// Flips one bit in the middle of the first block of a column's text stream.
    /// - Returns: the offset of the damaged block.
    static func damage(column name: String, at path: String) throws -> Int {
        var bytes = try DurableFile.readAll(path)
        let column = try #require(try footer(of: bytes).columns.first { $0.name == name })
        let block = try #require(column.streams.first { $0.role == "dictionary.bytes" }?.blocks.first)
        let offset = block.offset + block.length / 2
        bytes[offset] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return block.offset
    }

    @Test func deferredColumnsGiveTheSameValuesAsEagerOnes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = Self.table(Self.records())
        let store = SnapshotStore(directory: directory.path)
        try store.write(original)
        let lazy = try #require(try store.loadLatest()).table
        let names = lazy.formFields.filter { $0.storage.columnIfDecoded == nil }.map(\.name)
        #expect(names == ["提案名称"])
        #expect(lazy.formColumn(named: categoryFieldName) != nil)
        #expect(lazy.instanceId == original.instanceId)
        #expect(lazy.title == original.title)
        #expect((0..<lazy.rowCount).allSatisfy { lazy.record(at: $0) == original.record(at: $0) })
        #expect(lazy.formFields[0].storage.columnIfDecoded != nil)
        #expect(lazy == original)
        let eager = try store.verify(path: store.path(ofGeneration: 1)).table
        #expect(eager.formFields.allSatisfy { $0.storage.columnIfDecoded != nil })
        #expect(eager == lazy)
    }

    @Test func releasedTimesAndBenefitsAreDecodedAgainWhenReadAndTheStatisticsNeedThemNot() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = Self.table(Self.records())
        let store = SnapshotStore(directory: directory.path)
        try store.write(original)
        let loaded = try #require(try store.loadLatest()).table
        let clock = try ZoneClock(identifier: "Asia/Shanghai")
        let options = KernelOptions(workers: 2, morselSize: 64, occurrenceScanRows: 0)
        let engine = StatisticsEngine(table: loaded, clock: clock, options: options)
        let reference = StatisticsEngine(table: original, clock: clock, options: options)
        let benefit = try #require(loaded.formFields.first { $0.name == StatisticsEngine.defaultBenefitField })
        #expect(loaded.timesAreInMemory)
        #expect(benefit.storage.columnIfDecoded != nil)
        engine.prepareIndexes()
        #expect(!loaded.timesAreInMemory)
        #expect(benefit.storage.columnIfDecoded == nil)
        let month = DayRange(
            from: CivilDate(year: 2024, month: 5, day: 1),
            through: CivilDate(year: 2024, month: 5, day: 31)
        )
        for options in [StatisticsOptions.all.subtracting(.benefit), .all] {
            for period in [nil, month] {
                #expect(
                    engine.overview(period: period, options: options)
                        == reference.overview(period: period, options: options)
                )
                for dimension in [Dimension.dept, .category, .month] {
                    #expect(
                        engine.grouped(by: .dimension(dimension), period: period, options: options)
                            == reference.grouped(by: .dimension(dimension), period: period, options: options)
                    )
                }
            }
            // Only a benefit sum reads the benefit field again.
            #expect((benefit.storage.columnIfDecoded != nil) == options.contains(.benefit))
        }
        #expect(engine.overview(period: nil, options: .all).benefitSum != nil)
        #expect(engine.rowRange(for: month) == reference.rowRange(for: month))
        #expect(!loaded.timesAreInMemory)
        #expect(loaded.createTimeBounds == original.createTimeBounds)
        #expect(loaded.createTime == original.createTime)
        #expect(loaded.finishTime == original.finishTime)
        #expect(loaded.timesAreInMemory)
    }

    @Test func damageInADeferredColumnIsFoundAtLoadAndTheOlderGenerationIsUsed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        let old = Self.table(Array(Self.records().prefix(500)))
        try store.write(old)
        try store.write(Self.table(Self.records()))
        for column in ["title", "instance_id", "form:提案名称"] {
            let path = store.path(ofGeneration: 2)
            let original = try DurableFile.readAll(path)
            defer { try? Data(original).write(to: URL(fileURLWithPath: path)) }
            let offset = try Self.damage(column: column, at: path)
            var warnings: [String] = []
            let loaded = try #require(try store.loadLatest { warnings.append($0) })
            #expect(loaded.generation == 1)
            #expect(loaded.table == old)
            #expect(warnings.first?.contains("checksum mismatch in column '\(column)' at byte \(offset) ") == true)
            #expect(warnings.first?.contains("snapshot-00000002.lsnap") == true)
            #expect(warnings.last?.contains("using the older snapshot") == true)
        }
    }

    @Test func writingAfterALazyLoadRoundTripsByteIdentically() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        try store.write(Self.table(Self.records()), metadata: ["sync.cursor": "7"])
        let loaded = try #require(try store.loadLatest())
        try store.write(loaded.table, metadata: loaded.metadata)
        let first = try DurableFile.readAll(store.path(ofGeneration: 1))
        let second = try DurableFile.readAll(store.path(ofGeneration: 2))
        var firstFooter = try Self.footer(of: first)
        var secondFooter = try Self.footer(of: second)
        let blocksEnd = try #require(firstFooter.columns.last?.streams.last?.blocks.last).offset
        #expect(first.prefix(blocksEnd) == second.prefix(blocksEnd))
        secondFooter.generation = firstFooter.generation
        secondFooter.createdAt = firstFooter.createdAt
        firstFooter.metadata = secondFooter.metadata
        #expect(firstFooter == secondFooter)
    }

    @Test func verifyFindsDamageInDeferredColumns() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        try store.write(Self.table(Self.records()))
        let path = store.path(ofGeneration: 1)
        let offset = try Self.damage(column: "form:提案名称", at: path)
        let error = try #require(throws: SnapshotError.self) { try store.verify(path: path) }
        #expect(error.code == .checksumMismatch)
        #expect(error.section == "column 'form:提案名称'")
        #expect(error.offset == offset)
    }

    /// A table whose title column refers past its dictionary: only a faulty writer produces one.
    static func tableWithABadTitleColumn() throws -> InstanceTable {
        let good = table(Array(records().prefix(20)))
        return try InstanceTable(
            createTime: Array(good.createTime),
            finishTime: Array(good.finishTime),
            status: good.status,
            result: good.result,
            instanceId: good.instanceId,
            businessId: good.businessId,
            title: DictionaryColumn(dictionary: StringDictionary(), codes: .u8(Array(repeating: 3, count: 20))),
            userId: good.userId,
            userName: good.userName,
            deptId: good.deptId,
            deptName: good.deptName,
            formFields: good.formFields,
            validate: false
        )
    }

    @Test func verifyDecodesDeferredColumnsAndFindsWhatOnlyDecodingReveals() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        try store.write(try Self.tableWithABadTitleColumn())
        let path = store.path(ofGeneration: 1)
        #expect(try store.read(path: path).table.rowCount == 20)
        let error = try #require(throws: SnapshotError.self) { try store.verify(path: path) }
        #expect(error.code == .malformedColumn)
        #expect(error.section == "column 'title'")
        #expect(error.message == "holds an out-of-range code at row 0")
        #expect(error.offset != nil)
    }

    @Test func aDeferredColumnThatDoesNotDecodeStopsTheProcessAndNamesTheFile() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let store = SnapshotStore(directory: directory.path)
            try store.write(try DeferredColumnTests.tableWithABadTitleColumn())
            let loaded = try store.read(path: store.path(ofGeneration: 1))
            _ = loaded.table.title
        }
        let message = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
        #expect(message.contains("holds an out-of-range code at row 0 in column 'title' at byte "))
        #expect(message.contains("snapshot-00000001.lsnap"))
        #expect(message.contains("run `leanstats snapshot verify`"))
    }
}
