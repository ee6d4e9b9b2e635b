import Foundation
import LeanStatsCore

/// A snapshot read back and fully verified.
public struct LoadedSnapshot: Sendable {
    /// The data.
    public let table: InstanceTable
    /// The generation number from the file name and footer.
    public let generation: Int
    /// The file it came from.
    public let path: String
    /// Key–value state stored with the data (sync cursor, quota counters, …).
    public let metadata: [String: String]
    /// When the snapshot was written (Unix seconds).
    public let createdAt: Int64
    /// The size of the file in bytes.
    public let fileSize: Int
    /// Per column: name, kind, stored and decoded bytes.
    public let columns: [ColumnSummary]
}

/// The size of one stored column, for `snapshot info`.
public struct ColumnSummary: Sendable, Equatable {
    /// The column name, e.g. `dept_name` or `form:提案类别`.
    public let name: String
    /// `int64`, `uint8` or `dictionary` (with the code width).
    public let kind: String
    /// Compressed bytes in the file.
    public let storedBytes: Int
    /// Bytes after decompression.
    public let rawBytes: Int
}

/// Reads snapshot files, verifying every checksum before trusting a byte.
enum SnapshotReader {
    /// Reads and verifies a snapshot file.
    /// - Throws: ``SnapshotError`` naming the file, the section and the byte offset of the first damage.
    static func read(path: String) throws(SnapshotError) -> LoadedSnapshot {
        do {
            return try decode(DurableFile.readAll(path))
        } catch {
            throw error.located(in: path)
        }
    }

    static func decode(_ bytes: [UInt8]) throws(SnapshotError) -> LoadedSnapshot {
        let size = bytes.count
        let header = SnapshotLayout.headerSize
        let trailer = SnapshotLayout.trailerSize
        guard size >= header else {
            throw SnapshotError(
                .truncated,
                message: "file is \(size) bytes, shorter than the header",
                section: "header",
                offset: 0
            )
        }
        guard Array(bytes[0..<8]) == SnapshotLayout.headerMagic else {
            throw SnapshotError(
                .badMagic,
                message: "not a LeanStats snapshot (bad magic number)",
                section: "header",
                offset: 0
            )
        }
        let version = readUInt32(bytes, 8)
        guard size >= header + trailer else {
            throw SnapshotError(
                .truncated,
                message: "file is \(size) bytes, too short for a trailer",
                section: "trailer",
                offset: size
            )
        }
        let trailerStart = size - trailer
        guard Array(bytes[(size - 8)..<size]) == SnapshotLayout.trailerMagic else {
            throw SnapshotError(
                .truncated,
                message: "the trailer is missing (file truncated or damaged)",
                section: "trailer",
                offset: size - 8
            )
        }
        guard XXH64.hash(bytes[0..<header]) == readUInt64(bytes, trailerStart + 24) else {
            throw SnapshotError(.checksumMismatch, message: "checksum mismatch", section: "header", offset: 0)
        }
        guard version == SnapshotLayout.formatVersion else {
            throw SnapshotError(
                .unsupportedVersion,
                message:
                    "format version \(version) is not supported (this build reads version \(SnapshotLayout.formatVersion)); upgrade leanstats",
                section: "header",
                offset: 8
            )
        }
        let footerOffset = Int(truncatingIfNeeded: readUInt64(bytes, trailerStart))
        let footerLength = Int(truncatingIfNeeded: readUInt64(bytes, trailerStart + 8))
        guard footerOffset >= header, footerLength >= 0, footerOffset <= trailerStart,
            footerLength == trailerStart - footerOffset
        else {
            throw SnapshotError(
                .truncated,
                message: "the footer position is inconsistent with the file size",
                section: "trailer",
                offset: trailerStart
            )
        }
        let footerBytes = bytes[footerOffset..<trailerStart]
        guard XXH64.hash(footerBytes) == readUInt64(bytes, trailerStart + 16) else {
            throw SnapshotError(
                .checksumMismatch,
                message: "checksum mismatch",
                section: "footer",
                offset: footerOffset
            )
        }
        let footer: SnapshotFooter
        do {
            footer = try JSONDecoder().decode(SnapshotFooter.self, from: Data(footerBytes))
        } catch {
            throw SnapshotError(
                .malformedFooter,
                message: "the footer cannot be decoded",
                section: "footer",
                offset: footerOffset
            )
        }
        try checkBlocksTile(footer, from: header, to: footerOffset)
        let decompressor = ZstdDecompressor()
        var summaries: [ColumnSummary] = []
        var columns: [String: [[UInt8]]] = [:]
        for column in footer.columns {
            var streams: [[UInt8]] = []
            var stored = 0
            var raw = 0
            for stream in column.streams {
                streams.append(try decodeStream(stream, column: column.name, bytes: bytes, decompressor: decompressor))
                stored += stream.blocks.reduce(0) { $0 + $1.length }
                raw += stream.count * stream.width
            }
            columns[column.name] = streams
            let kind = column.kind == "dictionary" ? "dictionary(u\(8 * (column.codeWidth ?? 0)))" : column.kind
            summaries.append(ColumnSummary(name: column.name, kind: kind, storedBytes: stored, rawBytes: raw))
        }
        let table = try assemble(footer: footer, columns: columns)
        return LoadedSnapshot(
            table: table,
            generation: footer.generation,
            path: "",
            metadata: footer.metadata,
            createdAt: footer.createdAt,
            fileSize: size,
            columns: summaries
        )
    }

    /// Every byte between header and footer must belong to exactly one block.
    private static func checkBlocksTile(_ footer: SnapshotFooter, from start: Int, to end: Int) throws(SnapshotError) {
        let blocks = footer.columns.flatMap { $0.streams.flatMap(\.blocks) }.sorted { $0.offset < $1.offset }
        var cursor = start
        for block in blocks {
            guard block.offset == cursor, block.length >= 0 else {
                throw SnapshotError(
                    .malformedFooter,
                    message: "blocks overlap or leave gaps",
                    section: "footer",
                    offset: cursor
                )
            }
            cursor += block.length
        }
        guard cursor == end else {
            throw SnapshotError(
                .malformedFooter,
                message: "blocks do not end at the footer",
                section: "footer",
                offset: cursor
            )
        }
    }

    private static func decodeStream(
        _ stream: StreamEntry,
        column: String,
        bytes: [UInt8],
        decompressor: ZstdDecompressor
    ) throws(SnapshotError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(stream.count * stream.width)
        let section = "column '\(column)'"
        for block in stream.blocks {
            let frame = bytes[block.offset..<(block.offset + block.length)]
            guard XXH64.hash(frame).hex16 == block.checksum else {
                throw SnapshotError(
                    .checksumMismatch,
                    message: "checksum mismatch",
                    section: section,
                    offset: block.offset
                )
            }
            guard block.rawLength % max(stream.width, 1) == 0,
                var decoded = decompressor.decompress(frame, rawLength: block.rawLength)
            else {
                throw SnapshotError(
                    .malformedColumn,
                    message: "a block does not decompress",
                    section: section,
                    offset: block.offset
                )
            }
            switch stream.encoding {
            case "delta-shuffle":
                decoded = ByteShuffle.unshuffle(decoded, width: 8)
                var values = decoded.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
                Int64Delta.decode(&values)
                decoded = values.withUnsafeBytes { Array($0) }
            case "shuffle":
                decoded = ByteShuffle.unshuffle(decoded, width: stream.width)
            case "plain":
                break
            default:
                throw SnapshotError(
                    .malformedColumn,
                    message: "unknown encoding '\(stream.encoding)'",
                    section: section,
                    offset: block.offset
                )
            }
            output += decoded
        }
        guard output.count == stream.count * stream.width else {
            throw SnapshotError(
                .malformedColumn,
                message: "the stream length disagrees with the footer",
                section: section
            )
        }
        return output
    }

    private static func assemble(
        footer: SnapshotFooter,
        columns: [String: [[UInt8]]]
    ) throws(SnapshotError) -> InstanceTable {
        func streams(_ name: String, _ count: Int) throws(SnapshotError) -> [[UInt8]] {
            guard let found = columns[name], found.count == count else {
                throw SnapshotError(
                    .malformedColumn,
                    message: "column is missing or incomplete",
                    section: "column '\(name)'"
                )
            }
            return found
        }
        func int64s(_ bytes: [UInt8]) -> [Int64] { bytes.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) } }
        func dictionary(_ name: String) throws(SnapshotError) -> DictionaryColumn {
            let parts = try streams(name, 3)
            let width = footer.columns.first { $0.name == name }?.codeWidth ?? 0
            let codes: CodeArray
            switch width {
            case 1: codes = .u8(parts[0])
            case 2: codes = .u16(parts[0].withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) })
            case 4: codes = .u32(parts[0].withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) })
            default:
                throw SnapshotError(
                    .malformedColumn,
                    message: "code width \(width) is invalid",
                    section: "column '\(name)'"
                )
            }
            let offsets = int64s(parts[2]).map { Int($0) }
            return DictionaryColumn(dictionary: StringDictionary(bytes: parts[1], offsets: offsets), codes: codes)
        }
        let formNames = footer.columns.map(\.name).filter { $0.hasPrefix("form:") }
        do {
            return try InstanceTable(
                createTime: int64s(try streams("create_time", 1)[0]),
                finishTime: int64s(try streams("finish_time", 1)[0]),
                status: try streams("status", 1)[0],
                result: try streams("result", 1)[0],
                instanceId: try dictionary("instance_id"),
                businessId: try dictionary("business_id"),
                title: try dictionary("title"),
                userId: try dictionary("user_id"),
                userName: try dictionary("user_name"),
                deptId: try dictionary("dept_id"),
                deptName: try dictionary("dept_name"),
                formFields: try formNames.map { name throws(SnapshotError) in
                    FormFieldColumn(name: String(name.dropFirst(5)), column: try dictionary(name))
                },
                validate: true
            )
        } catch let error as TableError {
            throw SnapshotError(.malformedColumn, message: error.description)
        } catch let error as SnapshotError {
            throw error
        } catch {
            throw SnapshotError(.malformedColumn, message: "\(error)")
        }
    }

    private static func readUInt64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    }

    private static func readUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    }
}
