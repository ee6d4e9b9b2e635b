import Foundation
import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSnapshot

/// Snapshot files whose checksums are all valid but whose footer or values break an invariant (written by a faulty
/// writer, or crafted) are refused by both a load and `snapshot verify`, with an error naming the column and byte.
struct CraftedSnapshotTests {
    /// A valid snapshot of random instances, as bytes.
    static func validFile(rows: Int = 600) throws -> [UInt8] {
        try bytes(of: DeferredColumnTests.table(randomInstances(count: rows, seed: 5)))
    }

    /// The file a writer produces for a table, checked or not.
    static func bytes(of table: InstanceTable, generation: Int = 1) throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/crafted.lsnap"
        var writer = try SnapshotWriter(creating: path)
        try writer.write(table: table, generation: generation, metadata: [:])
        return try DurableFile.readAll(path)
    }

    /// Recomputes every block checksum and the footer and trailer, so that only the changed meaning is wrong.
    static func resigned(_ bytes: [UInt8], _ change: (inout SnapshotFooter) -> Void = { _ in }) throws -> [UInt8] {
        var footer = try DeferredColumnTests.footer(of: bytes)
        let footerOffset = bytes.withUnsafeBytes {
            Int($0.loadUnaligned(fromByteOffset: bytes.count - SnapshotLayout.trailerSize, as: UInt64.self))
        }
        for column in footer.columns.indices {
            for stream in footer.columns[column].streams.indices {
                for block in footer.columns[column].streams[stream].blocks.indices {
                    let entry = footer.columns[column].streams[stream].blocks[block]
                    guard entry.offset >= 0, entry.length >= 0, entry.offset + entry.length <= footerOffset else {
                        continue
                    }
                    footer.columns[column].streams[stream].blocks[block].checksum =
                        XXH64.hash(bytes[entry.offset..<(entry.offset + entry.length)]).hex16
                }
            }
        }
        change(&footer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let footerBytes = Array(try encoder.encode(footer))
        var result = Array(bytes[0..<footerOffset]) + footerBytes
        let header = Array(bytes[0..<SnapshotLayout.headerSize])
        for value in [UInt64(footerOffset), UInt64(footerBytes.count), XXH64.hash(footerBytes), XXH64.hash(header)] {
            withUnsafeBytes(of: value.littleEndian) { result.append(contentsOf: $0) }
        }
        return result + SnapshotLayout.trailerMagic
    }

    /// Writes `bytes` as generation `generation` of a fresh store and expects both a load and `verify` to throw.
    /// - Returns: the error `verify` throws.
    static func refused(_ bytes: [UInt8], generation: Int = 1) throws -> SnapshotError {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        let path = store.path(ofGeneration: generation)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let loadError = try #require(throws: SnapshotError.self) { try store.read(path: path) }
        #expect(loadError.file == path)
        #expect(throws: SnapshotError.self) { try store.loadLatest() }
        let error = try #require(throws: SnapshotError.self) { try store.verify(path: path) }
        #expect(error.description.hasSuffix(" of \(path)"))
        return error
    }

    @Test func theResigningHelperLeavesAValidFileValid() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        let path = store.path(ofGeneration: 1)
        try Data(try Self.resigned(try Self.validFile())).write(to: URL(fileURLWithPath: path))
        #expect(try store.verify(path: path).table.rowCount == 600)
    }

    @Test(arguments: [Int.max, Int.max / 8, 1 << 40, -1, 601])
    func aStreamCountThatDisagreesWithTheRowsIsRefused(count: Int) throws {
        let error = try Self.refused(
            try Self.resigned(try Self.validFile()) { footer in
                let index = footer.columns.firstIndex { $0.name == "create_time" }!
                footer.columns[index].streams[0].count = count
            }
        )
        #expect(error.code == .malformedColumn)
        #expect(error.section == "column 'create_time'")
        #expect(error.message == "stream 'values' holds \(count) elements, expected one per row (600)")
        #expect(error.offset != nil)
    }

    @Test(arguments: [Int.max, 1 << 40, -5, 599])
    func aWrongRowCountIsRefused(rows: Int) throws {
        let error = try Self.refused(try Self.resigned(try Self.validFile()) { $0.rowCount = rows })
        #expect([.malformedFooter, .malformedColumn].contains(error.code))
        #expect(error.offset != nil)
    }

    @Test func aBlockThatClaimsToExpandHugelyIsRefusedBeforeAnythingIsAllocated() throws {
        let error = try Self.refused(
            try Self.resigned(try Self.validFile()) { footer in
                let index = footer.columns.firstIndex { $0.name == "dept_name" }!
                footer.columns[index].streams[1].blocks[0].rawLength = Int.max - 7
                footer.columns[index].streams[1].count = Int.max - 7
            }
        )
        #expect(error.section == "column 'dept_name'")
        #expect(error.message.contains("dictionary.bytes"))
    }

    @Test func aBlockLengthThatWouldOverflowTheTilingIsRefused() throws {
        let error = try Self.refused(
            try Self.resigned(try Self.validFile()) { footer in
                footer.columns[0].streams[0].blocks[0].length = Int.max
            }
        )
        #expect(error.code == .malformedFooter)
    }

    @Test func anOutOfRangeCodeInAnEagerColumnIsRefusedWithItsColumnAndByte() throws {
        let good = DeferredColumnTests.table(randomInstances(count: 50, seed: 9))
        let bad = try InstanceTable(
            createTime: Array(good.createTime),
            finishTime: Array(good.finishTime),
            status: good.status,
            result: good.result,
            instanceId: good.instanceId,
            businessId: good.businessId,
            title: good.title,
            userId: good.userId,
            userName: good.userName,
            deptId: good.deptId,
            deptName: DictionaryColumn(dictionary: StringDictionary(), codes: .u8(Array(repeating: 7, count: 50))),
            formFields: good.formFields,
            validate: false
        )
        let bytes = try Self.bytes(of: bad)
        let error = try Self.refused(bytes)
        let column = try #require(try DeferredColumnTests.footer(of: bytes).columns.first { $0.name == "dept_name" })
        #expect(error.code == .malformedColumn)
        #expect(error.section == "column 'dept_name'")
        #expect(error.message == "holds an out-of-range code at row 0")
        #expect(error.offset == column.streams[0].blocks[0].offset)
    }

    /// A table of the given times, otherwise empty, written unchecked.
    static func table(createTimes: [Int64], finishTimes: [Int64]) throws -> InstanceTable {
        let empty = {
            DictionaryColumn(dictionary: StringDictionary(), codes: .u8(Array(repeating: 0, count: createTimes.count)))
        }
        return try InstanceTable(
            createTime: createTimes,
            finishTime: finishTimes,
            status: Array(repeating: 0, count: createTimes.count),
            result: Array(repeating: 0, count: createTimes.count),
            instanceId: empty(),
            businessId: empty(),
            title: empty(),
            userId: empty(),
            userName: empty(),
            deptId: empty(),
            deptName: empty(),
            formFields: [],
            validate: false
        )
    }

    @Test(arguments: [Int64.max, -1, 7_258_118_400])
    func aCreateTimeOutsideTheSupportedWindowIsRefused(time: Int64) throws {
        let table = try Self.table(
            createTimes: [1_700_000_000, time],
            finishTimes: Array(repeating: InstanceTable.missingTime, count: 2)
        )
        let error = try Self.refused(try Self.bytes(of: table))
        #expect(error.section == "column 'create_time'")
        #expect(
            error.message
                == "row 1 holds time \(time), outside 1970-01-01 00:00:00 UTC to 2199-12-31 23:59:59 UTC"
                || error.message == "rows are not ordered by create time at row 1"
        )
    }

    @Test func aFinishTimeOfInt64MaxIsRefused() throws {
        let table = try Self.table(createTimes: [1_700_000_000], finishTimes: [Int64.max])
        let error = try Self.refused(try Self.bytes(of: table))
        #expect(error.section == "column 'finish_time'")
        #expect(error.message.hasPrefix("row 0 holds time 9223372036854775807, outside 1970-01-01"))
    }

    @Test func unsortedCreateTimesAreRefused() throws {
        let table = try Self.table(
            createTimes: [1_700_000_000, 1_600_000_000],
            finishTimes: Array(repeating: .min, count: 2)
        )
        let error = try Self.refused(try Self.bytes(of: table))
        #expect(error.section == "column 'create_time'")
        #expect(error.message == "rows are not ordered by create time at row 1")
    }

    @Test func aBenefitAmountBeyondTheSupportedRangeIsRefused() throws {
        var records = randomInstances(count: 10, seed: 3)
        records[4].formFields.append(FormField(name: StatisticsEngine.defaultBenefitField, value: "1e17"))
        let error = try Self.refused(try Self.bytes(of: DeferredColumnTests.table(records)))
        #expect(error.section == "column 'form:预计收益(元)'")
        #expect(
            error.message.hasSuffix("'1e17' is outside the supported amounts -10000000000000 to 10000000000000 yuan")
        )
    }

    @Test func anOlderGenerationCopiedOverANewerNameIsRefusedAndTheRealNewestIsUsed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        try store.write(DeferredColumnTests.table(randomInstances(count: 30, seed: 1)))
        try store.write(DeferredColumnTests.table(randomInstances(count: 40, seed: 2)))
        // The first generation's file copied in as generation 3.
        let stale = try Self.bytes(of: DeferredColumnTests.table(randomInstances(count: 30, seed: 1)), generation: 1)
        let copied = store.path(ofGeneration: 3)
        try Data(stale).write(to: URL(fileURLWithPath: copied))
        let error = try #require(throws: SnapshotError.self) { try store.verify(path: copied) }
        #expect(error.code == .wrongGeneration)
        #expect(
            error.description.hasPrefix(
                "snapshot error: the file records generation 1 but is named for generation 3 "
                    + "(a file of another generation copied in?)"
            )
        )
        var warnings: [String] = []
        let loaded = try #require(try store.loadLatest { warnings.append($0) })
        #expect(loaded.generation == 2)
        #expect(loaded.table.rowCount == 40)
        #expect(warnings.count == 2)
    }
}
