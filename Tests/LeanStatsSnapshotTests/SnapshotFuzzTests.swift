import Foundation
import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSnapshot

/// Mutated snapshot files are read or refused with a ``SnapshotError``, never a crash — also when the mutation is
/// re-signed, so that the checksums pass and the decoders and validation see the damage.
struct SnapshotFuzzTests {
    /// A valid file of a few hundred random instances, with a benefit field.
    static let valid: [UInt8] = {
        var records = randomInstances(count: 300, seed: 77)
        for index in records.indices where index % 4 == 0 {
            records[index].formFields.append(FormField(name: StatisticsEngine.defaultBenefitField, value: "\(index)"))
        }
        return try! CraftedSnapshotTests.bytes(of: DeferredColumnTests.table(records))
    }()

    /// Reads the bytes with every column decoded and, when that succeeds, runs the statistics over the table.
    static func readAndQuery(_ bytes: [UInt8]) {
        let loaded: LoadedSnapshot
        do {
            loaded = try SnapshotReader.decode(bytes, loading: .all)
        } catch {
            #expect(error.description.hasPrefix("snapshot error: "))
            return
        }
        let clock = try! ZoneClock(identifier: "Asia/Shanghai")
        let engine = StatisticsEngine(table: loaded.table, clock: clock)
        #expect(engine.overview(period: nil, options: .all).count == loaded.table.rowCount)
        _ = engine.grouped(by: .dimension(.dept), period: nil, options: .all)
        _ = engine.topProposers(5, period: nil)
    }

    @Test func mutatedFilesAreReadOrRefused() {
        var mutator = ByteMutator(seed: 0x5A_FE)
        for _ in 0..<400 { Self.readAndQuery(mutator.mutate(Self.valid)) }
    }

    @Test func mutatedBlocksWithValidChecksumsAreReadOrRefused() throws {
        var mutator = ByteMutator(seed: 0xB10C)
        let footer = try DeferredColumnTests.footer(of: Self.valid)
        let blocks = footer.columns.flatMap { $0.streams.flatMap(\.blocks) }
        for _ in 0..<300 {
            var bytes = Self.valid
            let block = blocks[mutator.int(0...(blocks.count - 1))]
            var frame = Array(bytes[block.offset..<(block.offset + block.length)])
            // Flip bits or splice inside the frame, keeping its length so that the blocks still tile the file.
            if mutator.int(0...1) == 0 {
                mutator.flipBits(&frame)
            } else {
                mutator.splice(&frame)
                frame =
                    Array(frame.prefix(block.length)) + [UInt8](repeating: 0, count: max(0, block.length - frame.count))
            }
            bytes.replaceSubrange(block.offset..<(block.offset + block.length), with: frame)
            Self.readAndQuery(try CraftedSnapshotTests.resigned(bytes))
        }
    }

    @Test func footersWithExtremeNumbersAndValidChecksumsAreReadOrRefused() throws {
        var mutator = ByteMutator(seed: 0xF00)
        let extremes = [Int.max, Int.min, -1, 0, 1, 7, Int(Int32.max), 1 << 32, 1 << 40, Int.max - 7]
        for _ in 0..<300 {
            let resigned = try CraftedSnapshotTests.resigned(Self.valid) { footer in
                for _ in 0..<mutator.int(1...3) {
                    let extreme = extremes[mutator.int(0...(extremes.count - 1))]
                    let column = mutator.int(0...(footer.columns.count - 1))
                    let stream = mutator.int(0...(footer.columns[column].streams.count - 1))
                    let block = mutator.int(0...(footer.columns[column].streams[stream].blocks.count - 1))
                    switch mutator.int(0...8) {
                    case 0: footer.rowCount = extreme
                    case 1: footer.columns[column].streams[stream].count = extreme
                    case 2: footer.columns[column].streams[stream].width = extreme
                    case 3: footer.columns[column].streams[stream].blocks[block].rawLength = extreme
                    case 4: footer.columns[column].streams[stream].blocks[block].length = extreme
                    case 5: footer.columns[column].streams[stream].blocks[block].offset = extreme
                    case 6: footer.columns[column].codeWidth = extreme
                    case 7: footer.createdAt = Int64(extreme)
                    default: footer.columns[column].streams.swapAt(stream, 0)
                    }
                }
            }
            Self.readAndQuery(resigned)
        }
    }
}
