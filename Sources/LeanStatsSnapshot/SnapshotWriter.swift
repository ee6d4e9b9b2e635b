import Foundation
import LeanStatsCore

/// Writes one ``InstanceTable`` as a snapshot file: header, compressed checksummed blocks, footer, trailer.
struct SnapshotWriter {
    private let compressor = ZstdCompressor()
    private var output: DurableFile
    private var offset = SnapshotLayout.headerSize
    private var headerBytes: [UInt8] = []

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
                streams: [try int64Stream(table.createTime, role: "values", delta: true)]
            )
        )
        columns.append(
            ColumnEntry(
                name: "finish_time",
                kind: "int64",
                codeWidth: nil,
                streams: [try int64Stream(table.finishTime, role: "values", delta: false)]
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
        let offsets = try int64Stream(
            column.dictionary.offsets.map { Int64($0) },
            role: "dictionary.offsets",
            delta: true
        )
        return ColumnEntry(
            name: name,
            kind: "dictionary",
            codeWidth: column.codes.width,
            streams: [codes, text, offsets]
        )
    }

    private mutating func int64Stream(_ values: [Int64], role: String, delta: Bool) throws -> StreamEntry {
        try values.withUnsafeBytes { bytes throws in
            try stream(bytes, role: role, width: 8, encoding: delta ? "delta-shuffle" : "shuffle")
        }
    }

    private mutating func byteStream(_ values: [UInt8], role: String) throws -> StreamEntry {
        try values.withUnsafeBytes { bytes in try stream(bytes, role: role, width: 1, encoding: "plain") }
    }

    /// Cuts `bytes` into blocks, encodes, compresses, checksums and writes each.
    private mutating func stream(
        _ bytes: UnsafeRawBufferPointer,
        role: String,
        width: Int,
        encoding: String
    ) throws -> StreamEntry {
        let blockSize = width == 1 ? SnapshotLayout.blockBytes : SnapshotLayout.blockElements * width
        var blocks: [BlockEntry] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + blockSize, bytes.count)
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            let encoded: [UInt8]
            switch encoding {
            case "delta-shuffle":
                let deltas = Int64Delta.encode(slice)
                encoded = deltas.withUnsafeBytes { ByteShuffle.shuffle($0, width: 8) }
            case "shuffle":
                encoded = ByteShuffle.shuffle(slice, width: width)
            default:
                encoded = Array(slice)
            }
            let frame = try encoded.withUnsafeBytes { raw in try compressor.compress(raw) }
            blocks.append(
                BlockEntry(
                    offset: offset,
                    length: frame.count,
                    rawLength: encoded.count,
                    checksum: XXH64.hash(frame).hex16
                )
            )
            try output.write(frame)
            offset += frame.count
            start = end
        }
        return StreamEntry(role: role, encoding: encoding, width: width, count: bytes.count / width, blocks: blocks)
    }
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
