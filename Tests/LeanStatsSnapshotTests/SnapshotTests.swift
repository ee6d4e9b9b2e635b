import Foundation
import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSnapshot

/// Snapshot files: exact round trip, damage detection, generations.
struct SnapshotTests {
    func table(_ records: [InstanceRecord]) -> InstanceTable {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return builder.build()
    }

    @Test func xxh64MatchesTheReferenceVectors() {
        #expect(XXH64.hash([UInt8]()) == 0xEF46_DB37_51D8_E999)
        #expect(XXH64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXH64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(XXH64.hash((0..<100).map { UInt8($0) }) == 0x6AC1_E580_3216_6597)
    }

    @Test(arguments: [1, 2, 4, 8])
    func unshufflingUndoesShufflingForEveryWidthAndLength(width: Int) {
        for count in Array(0...19) + [1001, 4099] {
            let values = (0..<(count * width)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 >> 8) }
            let shuffled = values.withUnsafeBytes { ByteShuffle.shuffle($0, width: width) }
            var restored = [UInt8](repeating: 0, count: values.count)
            shuffled.withUnsafeBytes { input in
                restored.withUnsafeMutableBytes { ByteShuffle.unshuffle(input, width: width, into: $0) }
            }
            #expect(restored == values, "width \(width), \(count) elements")
            #expect(ByteShuffle.unshuffle(shuffled, width: width) == values)
        }
    }

    @Test func aTableWithMoreBlocksThanAreCompressedAtOnceReadsBackExactly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // 1.1M rows: each time stream has five blocks of 256Ki values, more than a wave of two per core, and the
        // four-byte times are widened in more than one run.
        let rows = 1_100_000
        let start: Int64 = 1_700_000_000
        var ids = StringDictionaryBuilder()
        let codes = (0..<rows).map { ids.intern("i\($0)") }
        let none = DictionaryColumn(dictionary: StringDictionary(), codes: .u8([UInt8](repeating: 0, count: rows)))
        let original = try InstanceTable(
            createTime: (0..<rows).map { start + Int64($0) * 7 },
            finishTime: (0..<rows).map { $0 % 3 == 0 ? InstanceTable.missingTime : start + Int64($0) * 11 },
            status: (0..<rows).map { UInt8($0 % 4) },
            result: [UInt8](repeating: 0, count: rows),
            instanceId: DictionaryColumn(dictionary: ids.build(), codes: .u32(codes)),
            businessId: none,
            title: none,
            userId: none,
            userName: none,
            deptId: none,
            deptName: none,
            formFields: [],
            validate: true
        )
        let store = SnapshotStore(directory: directory.path)
        _ = try store.write(original, metadata: [:])
        let loaded = try #require(try store.loadLatest())
        #expect(loaded.table == original)
        #expect(loaded.table.instanceId[rows - 1] == "i\(rows - 1)")
    }

    @Test func aRoundTripPreservesEveryValue() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // 70 000 users make the user codes 32-bit wide and the numeric streams span several blocks.
        var records = randomInstances(count: 2000, seed: 3)
        records += (0..<300_000).map {
            InstanceRecord(
                instanceId: "bulk\($0)",
                createTime: 1_700_000_000 + Int64($0),
                originatorUserId: "u\($0 % 70_000)"
            )
        }
        let original = table(records)
        let store = SnapshotStore(directory: directory.path)
        let generation = try store.write(original, metadata: ["sync.cursor": "42"])
        let loaded = try #require(try store.loadLatest())
        #expect(generation == 1)
        #expect(loaded.generation == 1)
        #expect(loaded.table == original)
        #expect(loaded.metadata == ["sync.cursor": "42"])
        #expect(loaded.table.userId.codes.width == 4)
        let mode = try FileManager.default.attributesOfItem(atPath: loaded.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func anEmptyTableRoundTrips() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        try store.write(.empty)
        #expect(try store.loadLatest()?.table == .empty)
    }

    @Test func everySingleBitFlipIsDetected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        try store.write(table(randomInstances(count: 3, seed: 11)))
        let path = store.path(ofGeneration: 1)
        let bytes = try DurableFile.readAll(path)
        var undetected: [Int] = []
        for bit in 0..<(bytes.count * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << UInt8(bit % 8)
            if (try? SnapshotReader.decode(damaged)) != nil { undetected.append(bit) }
        }
        #expect(undetected.isEmpty, "undetected flips at bits \(undetected.prefix(10))")
    }

    @Test func everyTruncationIsDetected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        try store.write(table(randomInstances(count: 3, seed: 12)))
        let bytes = try DurableFile.readAll(store.path(ofGeneration: 1))
        for length in 0..<bytes.count {
            #expect(throws: SnapshotError.self) { try SnapshotReader.decode(Array(bytes[0..<length])) }
        }
    }

    @Test func aDamagedNewestGenerationFallsBackToThePreviousOneAndSaysSo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        let old = table(randomInstances(count: 50, seed: 1))
        try store.write(old)
        try store.write(table(randomInstances(count: 60, seed: 2)))
        let newest = store.path(ofGeneration: 2)
        var bytes = try DurableFile.readAll(newest)
        bytes[100] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: newest))
        var warnings: [String] = []
        let loaded = try #require(try store.loadLatest { warnings.append($0) })
        #expect(loaded.generation == 1)
        #expect(loaded.table == old)
        #expect(warnings.count == 2)
        #expect(warnings[0].contains("checksum mismatch in column"))
        #expect(warnings[0].contains("at byte"))
        #expect(warnings[0].contains("snapshot-00000002.lsnap"))
        #expect(warnings[1].contains("using the older snapshot"))
    }

    @Test func damageInEveryGenerationIsAnErrorNotAnEmptyStore() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        try store.write(table(randomInstances(count: 5, seed: 1)))
        let path = store.path(ofGeneration: 1)
        let bytes = try DurableFile.readAll(path)
        try Data(bytes.prefix(bytes.count - 3)).write(to: URL(fileURLWithPath: path))
        #expect(throws: SnapshotError.self) { try store.loadLatest() }
    }

    @Test func onlyTheNewestTwoGenerationsAreKept() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        for seed in 1...4 { try store.write(table(randomInstances(count: 5, seed: UInt64(seed)))) }
        #expect(store.generations() == [4, 3])
    }

    @Test func aSecondWriterIsRefusedWhileTheLockIsHeld() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path)
        let lock = try store.lockForWriting("import")
        #expect {
            _ = try store.lockForWriting("sync")
        } throws: { error in
            (error as? SnapshotError)?.code == .locked && "\(error)".contains("import")
        }
        withExtendedLifetime(lock) {}
    }

    @Test func anUnwritableDirectoryGivesAnErrorThatSaysWhatToDo() throws {
        let store = SnapshotStore(directory: "/proc/leanstats-cannot-exist")
        #expect {
            try store.write(.empty)
        } throws: { error in
            "\(error)".contains("--data")
        }
    }
}
