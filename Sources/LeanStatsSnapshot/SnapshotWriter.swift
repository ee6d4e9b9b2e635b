import Dispatch
import Foundation
import LeanStatsCore

/// Writes one ``InstanceTable`` as a snapshot file: header, compressed checksummed blocks, footer, trailer.
struct SnapshotWriter {
    /// One compression context per core, reused by every block of every stream.
    private let compressors = (0..<Self.workers).map { _ in ZstdCompressor() }
    private var output: DurableFile
    private var offset = SnapshotLayout.headerSize
    private var headerBytes: [UInt8] = []

    /// The threads that compress blocks.
    private static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Blocks compressed before they are written: two per worker.
    static let blocksPerWave = workers * 2

    /// Starts a file at `path` (which must not exist yet) with mode 0600.
    init(creating path: String) throws {
        output = try DurableFile(creating: path)
        var header = SnapshotLayout.headerMagic
        withUnsafeBytes(of: SnapshotLayout.formatVersion.littleEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(0).littleEndian) { header.append(contentsOf: $0) }
        headerBytes = header
        try output.write(header)
    }

    /// Writes every column of `table`, then the footer and trailer, and fsyncs the file.
    mutating func write(table: InstanceTable, generation: Int, metadata: [String: String]) throws {
        var columns: [ColumnEntry] = []
        columns.append(
            ColumnEntry(
                name: "create_time",
                kind: "int64",
                codeWidth: nil,
                streams: [try timeStream(table.createTime, role: "values", delta: true)]
            )
        )
        columns.append(
            ColumnEntry(
                name: "finish_time",
                kind: "int64",
                codeWidth: nil,
                streams: [try timeStream(table.finishTime, role: "values", delta: false)]
            )
        )
        columns.append(
            ColumnEntry(
                name: "status",
                kind: "uint8",
                codeWidth: nil,
                streams: [try byteStream(table.status, role: "values")]
            )
        )
        columns.append(
            ColumnEntry(
                name: "result",
                kind: "uint8",
                codeWidth: nil,
                streams: [try byteStream(table.result, role: "values")]
            )
        )
        for (name, column) in table.namedTextColumns {
            columns.append(try dictionaryColumn(name: name, column))
        }
        let footer = SnapshotFooter(
            format: Int(SnapshotLayout.formatVersion),
            generation: generation,
            createdAt: Int64(Date().timeIntervalSince1970),
            rowCount: table.rowCount,
            firstCreateTime: table.createTime.first,
            lastCreateTime: table.createTime.last,
            metadata: metadata,
            columns: columns
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let footerBytes: [UInt8]
        do {
            footerBytes = Array(try encoder.encode(footer))
        } catch {
            throw SnapshotError(.malformedFooter, message: "cannot encode the footer: \(error)")
        }
        var trailer: [UInt8] = []
        for value in [UInt64(offset), UInt64(footerBytes.count), XXH64.hash(footerBytes), XXH64.hash(headerBytes)] {
            withUnsafeBytes(of: value.littleEndian) { trailer.append(contentsOf: $0) }
        }
        trailer += SnapshotLayout.trailerMagic
        try output.write(footerBytes)
        try output.write(trailer)
        try output.syncAndClose()
    }

    private mutating func dictionaryColumn(name: String, _ column: DictionaryColumn) throws -> ColumnEntry {
        let codes: StreamEntry
        switch column.codes {
        case .u8(let values): codes = try byteStream(values, role: "codes")
        case .u16(let values):
            codes = try values.withUnsafeBytes { bytes in
                try stream(bytes, role: "codes", width: 2, encoding: "shuffle")
            }
        case .u32(let values):
            codes = try values.withUnsafeBytes { bytes in
                try stream(bytes, role: "codes", width: 4, encoding: "shuffle")
            }
        }
        let text = try byteStream(column.dictionary.bytes, role: "dictionary.bytes")
        // `Int` is 64 bits wide on every platform the format supports: the offsets are written as they are.
        precondition(MemoryLayout<Int>.size == MemoryLayout<Int64>.size, "snapshots need a 64-bit platform")
        let offsets = try column.dictionary.offsets.withUnsafeBytes { bytes in
            try stream(bytes, role: "dictionary.offsets", width: 8, encoding: "delta-shuffle")
        }
        return ColumnEntry(
            name: name,
            kind: "dictionary",
            codeWidth: column.codes.width,
            streams: [codes, text, offsets]
        )
    }

    /// A time column's stream: its seconds as 64-bit integers, whatever width the column takes in memory.
    ///
    /// A column held in four bytes a row is widened a few whole blocks at a time, so writing it takes a few
    /// megabytes beside it rather than a 64-bit copy of it; the blocks are the same as for a 64-bit column.
    private mutating func timeStream(_ values: TimeColumn, role: String, delta: Bool) throws -> StreamEntry {
        let encoding = delta ? "delta-shuffle" : "shuffle"
        guard values.bytesPerRow != 8 else {
            return try values.withUnsafeSeconds { seconds throws in
                try stream(UnsafeRawBufferPointer(seconds), role: role, width: 8, encoding: encoding)
            }
        }
        let rowsAtATime = SnapshotLayout.blockElements * Self.blocksPerWave
        var blocks: [BlockEntry] = []
        var start = 0
        repeat {
            let end = min(start + rowsAtATime, values.count)
            let seconds = values.withTimeBuffer { buffer in (start..<end).map { buffer[$0] } }
            blocks += try seconds.withUnsafeBytes { bytes in
                try stream(bytes, role: role, width: 8, encoding: encoding).blocks
            }
            start = end
        } while start < values.count
        return StreamEntry(role: role, encoding: encoding, width: 8, count: values.count, blocks: blocks)
    }

    private mutating func byteStream(_ values: [UInt8], role: String) throws -> StreamEntry {
        try values.withUnsafeBytes { bytes in try stream(bytes, role: role, width: 1, encoding: "plain") }
    }

    /// Cuts `bytes` into blocks, encodes, compresses and checksums them (in parallel when there are several), then
    /// writes them in order.
    ///
    /// The blocks go ``blocksPerWave`` at a time, each wave written before the next is compressed: a large column's
    /// compressed frames are then never all held in memory at once.
    private mutating func stream(
        _ bytes: UnsafeRawBufferPointer,
        role: String,
        width: Int,
        encoding: String
    ) throws -> StreamEntry {
        let blockSize = width == 1 ? SnapshotLayout.blockBytes : SnapshotLayout.blockElements * width
        let ranges = stride(from: 0, to: bytes.count, by: blockSize).map { $0..<min($0 + blockSize, bytes.count) }
        var blocks: [BlockEntry] = []
        blocks.reserveCapacity(ranges.count)
        for waveStart in stride(from: 0, to: ranges.count, by: Self.blocksPerWave) {
            let waveRanges = Array(ranges[waveStart..<min(waveStart + Self.blocksPerWave, ranges.count)])
            var frames = [Result<EncodedBlock, SnapshotError>](
                repeating: .success(EncodedBlock(frame: [], rawLength: 0, checksum: 0)),
                count: waveRanges.count
            )
            if waveRanges.count == 1 {
                frames[0] = Self.frame(
                    UnsafeRawBufferPointer(rebasing: bytes[waveRanges[0]]),
                    encoding,
                    width,
                    compressors[0]
                )
            } else {
                frames.withUnsafeMutableBufferPointer { frames in
                    // Each worker uses its own context: a context is never shared by two threads.
                    let shared = UnsafeTransfer((frames, bytes, compressors))
                    let waveWorkers = min(waveRanges.count, Self.workers)
                    DispatchQueue.concurrentPerform(iterations: waveWorkers) { worker in
                        let (frames, bytes, compressors) = shared.value
                        for index in stride(from: worker, to: waveRanges.count, by: waveWorkers) {
                            let block = UnsafeRawBufferPointer(rebasing: bytes[waveRanges[index]])
                            frames[index] = Self.frame(block, encoding, width, compressors[worker])
                        }
                    }
                }
            }
            for result in frames {
                let block = try result.get()
                blocks.append(
                    BlockEntry(
                        offset: offset,
                        length: block.frame.count,
                        rawLength: block.rawLength,
                        checksum: block.checksum.hex16
                    )
                )
                try output.write(block.frame)
                offset += block.frame.count
            }
        }
        return StreamEntry(role: role, encoding: encoding, width: width, count: bytes.count / width, blocks: blocks)
    }

    /// One block encoded, compressed and checksummed.
    private static func frame(
        _ block: UnsafeRawBufferPointer,
        _ encoding: String,
        _ width: Int,
        _ compressor: ZstdCompressor
    ) -> Result<EncodedBlock, SnapshotError> {
        let encoded: [UInt8]?
        switch encoding {
        case "delta-shuffle":
            let deltas = Int64Delta.encode(block)
            encoded = deltas.withUnsafeBytes { ByteShuffle.shuffle($0, width: 8) }
        case "shuffle":
            encoded = ByteShuffle.shuffle(block, width: width)
        default:
            // Plain blocks are compressed where they are.
            encoded = nil
        }
        do {
            let frame =
                try encoded?.withUnsafeBytes { raw in try compressor.compress(raw) } ?? compressor.compress(block)
            return .success(EncodedBlock(frame: frame, rawLength: block.count, checksum: XXH64.hash(frame)))
        } catch let error as SnapshotError {
            return .failure(error)
        } catch {
            return .failure(SnapshotError(.compression, message: "\(error)"))
        }
    }
}

/// A block ready to write: its zstd frame, the length of the encoded bytes the frame expands to, and the frame's
/// xxh64.
private struct EncodedBlock {
    let frame: [UInt8]
    let rawLength: Int
    let checksum: UInt64
}

/// Delta encoding of Int64 runs (wrapping), so sorted times become small numbers.
enum Int64Delta {
    static func encode(_ bytes: UnsafeRawBufferPointer) -> [Int64] {
        let values = bytes.bindMemory(to: Int64.self)
        var previous: Int64 = 0
        return values.map { value in
            defer { previous = value }
            return value &- previous
        }
    }

    static func decode(_ deltas: inout [Int64]) {
        var running: Int64 = 0
        for index in deltas.indices {
            running = running &+ deltas[index]
            deltas[index] = running
        }
    }
}
