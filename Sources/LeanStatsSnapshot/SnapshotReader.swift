import Dispatch
import Foundation
import LeanStatsCore

/// A snapshot read back with every block checksum verified (some text columns decode on first use).
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
    /// How far the journals on top of the snapshot were replayed into ``table`` and ``metadata``; `nil` for a
    /// snapshot file read on its own.
    public internal(set) var journal: JournalPosition? = nil
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

/// Shares a buffer with concurrent workers that write disjoint parts of it.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// One decoded stream, in its element type.
enum DecodedStream: Sendable {
    case bytes([UInt8])
    case u16([UInt16])
    case u32([UInt32])
    case int64([Int64])
    case ints([Int])
}

/// Which columns a read decodes before it returns.
enum ColumnLoading: Sendable {
    /// The columns the statistics read; the others are checked and decoded on first use.
    case whenUsed
    /// Every column, validated (for `snapshot verify`).
    case all
}

/// Reads snapshot files, verifying every checksum before trusting a byte.
///
/// The file is mapped, not copied. Every block's checksum is verified before the read returns, but columns the
/// statistics never read (instance ids, business ids, titles, most form fields) are decoded only on first use, from
/// the mapping; since their bytes were verified, a failure then is a writer bug and stops the process.
enum SnapshotReader {
    /// The form fields the statistics engine reads by default, decoded at load.
    static let eagerFormFields: Set<String> = [categoryFieldName, StatisticsEngine.defaultBenefitField]

    /// Whether a column is decoded on first use rather than at load.
    static func defersDecoding(of column: String) -> Bool {
        switch column {
        case "instance_id", "business_id", "title": return true
        default: return column.hasPrefix("form:") && !eagerFormFields.contains(String(column.dropFirst(5)))
        }
    }

    /// Reads and verifies a snapshot file.
    /// - Parameter loading: whether to decode every column now or leave some for first use.
    /// - Throws: ``SnapshotError`` naming the file, the section and the byte offset of the first damage.
    static func read(path: String, loading: ColumnLoading = .whenUsed) throws(SnapshotError) -> LoadedSnapshot {
        do {
            return try decode(
                MappedFile(mapping: path),
                path: path,
                loading: loading,
                expectedGeneration: generation(named: path)
            )
        } catch {
            throw error.located(in: path)
        }
    }

    /// The generation a file's name gives (`snapshot-00000042.lsnap` → 42), `nil` for any other name.
    static func generation(named path: String) -> Int? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let suffix = "." + SnapshotLayout.fileExtension
        guard name.hasPrefix("snapshot-"), name.hasSuffix(suffix) else { return nil }
        let digits = name.dropFirst("snapshot-".count).dropLast(suffix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    /// Decodes a snapshot held in memory.
    static func decode(_ bytes: [UInt8], loading: ColumnLoading = .whenUsed) throws(SnapshotError) -> LoadedSnapshot {
        try decode(MappedFile(copying: bytes), path: "a snapshot in memory", loading: loading)
    }

    /// Verifies a mapped snapshot and decodes the columns `loading` asks for; deferred columns keep `file` alive.
    static func decode(
        _ file: MappedFile,
        path: String,
        loading: ColumnLoading,
        expectedGeneration: Int? = nil
    ) throws(SnapshotError) -> LoadedSnapshot {
        let bytes = file.bytes
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
        guard bytes[0..<8].elementsEqual(SnapshotLayout.headerMagic) else {
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
        guard bytes[(size - 8)..<size].elementsEqual(SnapshotLayout.trailerMagic) else {
            throw SnapshotError(
                .truncated,
                message: "the trailer is missing (file truncated or damaged)",
                section: "trailer",
                offset: size - 8
            )
        }
        guard XXH64.hash(UnsafeRawBufferPointer(rebasing: bytes[0..<header])) == readUInt64(bytes, trailerStart + 24)
        else {
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
        let footerBytes = UnsafeRawBufferPointer(rebasing: bytes[footerOffset..<trailerStart])
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
        try validateFooter(
            footer,
            fileSize: size,
            footerOffset: footerOffset,
            expectedGeneration: expectedGeneration
        )
        try checkBlocksTile(footer, from: header, to: footerOffset)
        var summaries: [ColumnSummary] = []
        var jobs: [StreamJob] = []
        for (columnIndex, column) in footer.columns.enumerated() {
            let deferred = loading == .whenUsed && defersDecoding(of: column.name)
            for streamIndex in column.streams.indices {
                jobs.append(StreamJob(column: columnIndex, stream: streamIndex, decodes: !deferred))
            }
            let stored = column.streams.reduce(0) { $0 + $1.blocks.reduce(0) { $0 + $1.length } }
            let raw = column.streams.reduce(0) { $0 + $1.count * $1.width }
            let kind = column.kind == "dictionary" ? "dictionary(u\(8 * (column.codeWidth ?? 0)))" : column.kind
            summaries.append(ColumnSummary(name: column.name, kind: kind, storedBytes: stored, rawBytes: raw))
        }
        let decoded = try decodeInParallel(jobs: jobs, columns: footer.columns, file: file)
        var columns: [String: [DecodedStream]] = [:]
        for (index, job) in jobs.enumerated() {
            if let stream = decoded[index] { columns[footer.columns[job.column].name, default: []].append(stream) }
        }
        let deferred = Dictionary(
            footer.columns.filter { loading == .whenUsed && defersDecoding(of: $0.name) }.map {
                ($0.name, deferredColumn($0, rows: footer.rowCount, file: file, path: path))
            },
            uniquingKeysWith: { first, _ in first }
        )
        let redecoders = Dictionary(
            footer.columns.filter { loading == .whenUsed && ["create_time", "finish_time"].contains($0.name) }.map {
                ($0.name, timeDecoder($0, rows: footer.rowCount, file: file, path: path))
            },
            uniquingKeysWith: { first, _ in first }
        )
        let releasable = Dictionary(
            footer.columns.filter { loading == .whenUsed && $0.name == "form:" + StatisticsEngine.defaultBenefitField }
                .map { ($0.name, columnDecoder($0, rows: footer.rowCount, file: file, path: path)) },
            uniquingKeysWith: { first, _ in first }
        )
        let table = try assemble(
            footer: footer,
            columns: columns,
            deferred: deferred,
            redecoders: redecoders,
            releasable: releasable
        )
        try validateValues(table, footer: footer)
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

    /// A column whose blocks were verified at load and that decodes from `file` when first read.
    private static func deferredColumn(
        _ entry: ColumnEntry,
        rows: Int,
        file: MappedFile,
        path: String
    ) -> DeferredColumn {
        DeferredColumn(rowCount: rows, decode: columnDecoder(entry, rows: rows, file: file, path: path))
    }

    /// Decodes a text column whose blocks were verified at load from `file`.
    private static func columnDecoder(
        _ entry: ColumnEntry,
        rows: Int,
        file: MappedFile,
        path: String
    ) -> @Sendable () -> DictionaryColumn {
        {
            do {
                let decompressor = ZstdDecompressor()
                var scratch: [UInt8] = []
                var streams: [DecodedStream] = []
                for stream in entry.streams {
                    streams.append(
                        try decodeStream(
                            stream,
                            column: entry.name,
                            kind: entry.kind,
                            file: file.bytes,
                            workers: ProcessInfo.processInfo.activeProcessorCount,
                            decompressor: decompressor,
                            scratch: &scratch
                        )
                    )
                    file.release(stream.byteRange)
                }
                let column = try dictionaryColumn(entry.name, streams)
                try column.validate(name: entry.name, rows: rows)
                return column
            } catch {
                failDecodingAfterLoad(error, entry: entry, path: path)
            }
        }
    }

    /// A time column's decoder for after the times were released: the blocks verified at load, decoded again from
    /// `file` and checked against ``ValueLimits`` as at load.
    private static func timeDecoder(
        _ entry: ColumnEntry,
        rows: Int,
        file: MappedFile,
        path: String
    ) -> @Sendable () -> TimeColumn {
        {
            do {
                var scratch: [UInt8] = []
                guard entry.streams.count == 1,
                    case .int64(let values) = try decodeStream(
                        entry.streams[0],
                        column: entry.name,
                        kind: entry.kind,
                        file: file.bytes,
                        workers: ProcessInfo.processInfo.activeProcessorCount,
                        decompressor: ZstdDecompressor(),
                        scratch: &scratch
                    ),
                    values.count == rows
                else {
                    throw SnapshotError(
                        .malformedColumn,
                        message: "the times decode to another shape than at load",
                        section: "column '\(entry.name)'"
                    )
                }
                file.release(entry.streams[0].byteRange)
                if let row = values.firstIndex(where: {
                    $0 != InstanceTable.missingTime && !ValueLimits.contains(instant: $0)
                }) {
                    throw SnapshotError(
                        .malformedColumn,
                        message: "row \(row) holds a time outside \(ValueLimits.instantsText)",
                        section: "column '\(entry.name)'"
                    )
                }
                return TimeColumn(values)
            } catch {
                failDecodingAfterLoad(error, entry: entry, path: path)
            }
        }
    }

    /// Ends the process with a message on stderr: a column that passed its checksums at load does not decode now.
    /// Its accessors cannot throw, and a trap would lose this message in an optimised build.
    private static func failDecodingAfterLoad(_ error: any Error, entry: ColumnEntry, path: String) -> Never {
        let located =
            switch error {
            case let error as SnapshotError: error.located(in: path)
            case let error as TableError: snapshotError(error, columns: [entry]).located(in: path)
            default:
                SnapshotError(
                    .malformedColumn,
                    message: "\(error)",
                    file: path,
                    section: "column '\(entry.name)'"
                )
            }
        FileHandle.standardError.write(
            Data(
                ("leanstats: \(located); the file passed its checksums at load but was written wrongly: "
                    + "run `leanstats snapshot verify` and move the damaged file away\n").utf8
            )
        )
        exit(EXIT_FAILURE)
    }

    /// Every byte between header and footer must belong to exactly one block.
    private static func checkBlocksTile(_ footer: SnapshotFooter, from start: Int, to end: Int) throws(SnapshotError) {
        let blocks = footer.columns.flatMap { $0.streams.flatMap(\.blocks) }.sorted { $0.offset < $1.offset }
        var cursor = start
        for block in blocks {
            guard block.offset == cursor, block.length >= 0, block.length <= end - cursor else {
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

    /// One stream to decode, or only to verify when its column is deferred.
    struct StreamJob: Sendable {
        let column: Int
        let stream: Int
        let decodes: Bool
    }

    /// Decodes or verifies every stream, several at a time (each worker with its own zstd context), largest first.
    /// - Returns: per job, the decoded stream, or `nil` for a job that only verifies.
    private static func decodeInParallel(
        jobs: [StreamJob],
        columns: [ColumnEntry],
        file: MappedFile
    ) throws(SnapshotError) -> [DecodedStream?] {
        func cost(_ job: StreamJob) -> Int {
            let stream = columns[job.column].streams[job.stream]
            return job.decodes ? stream.count * stream.width : stream.blocks.reduce(0) { $0 + $1.length } / 8
        }
        let order = jobs.indices.sorted { cost(jobs[$0]) > cost(jobs[$1]) }
        let results = Locked([Result<DecodedStream?, SnapshotError>?](repeating: nil, count: jobs.count))
        let next = Locked(0)
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, max(jobs.count, 1))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let decompressor = ZstdDecompressor()
            var scratch: [UInt8] = []
            while let index = next.withLock({ (next: inout Int) -> Int? in
                guard next < order.count else { return nil }
                defer { next += 1 }
                return order[next]
            }) {
                let job = jobs[index]
                let column = columns[job.column]
                let stream = column.streams[job.stream]
                let result = Result { () throws(SnapshotError) -> DecodedStream? in
                    defer { file.release(stream.byteRange) }
                    guard job.decodes else {
                        try verifyStream(stream, column: column.name, file: file.bytes)
                        return nil
                    }
                    return try decodeStream(
                        stream,
                        column: column.name,
                        kind: column.kind,
                        file: file.bytes,
                        decompressor: decompressor,
                        scratch: &scratch
                    )
                }
                results.withLock { $0[index] = result }
            }
        }
        var values: [DecodedStream?] = []
        for slot in results.withLock({ $0 }) {
            switch slot {
            case .success(let value): values.append(value)
            case .failure(let error): throw error
            case nil: throw SnapshotError(.malformedColumn, message: "a stream was not decoded")
            }
        }
        return values
    }

    /// Checks every block's checksum and that the blocks add up to the stream, without decompressing anything.
    private static func verifyStream(
        _ stream: StreamEntry,
        column: String,
        file: UnsafeRawBufferPointer
    ) throws(SnapshotError) {
        let section = "column '\(column)'"
        guard [1, 2, 4, 8].contains(stream.width), stream.count >= 0 else {
            throw SnapshotError(.malformedColumn, message: "element width \(stream.width) is invalid", section: section)
        }
        var total = 0
        for block in stream.blocks {
            try verifyChecksum(block, section: section, file: file)
            guard block.rawLength >= 0, block.rawLength % stream.width == 0 else {
                throw SnapshotError(
                    .malformedColumn,
                    message: "a block does not fit its stream",
                    section: section,
                    offset: block.offset
                )
            }
            total += block.rawLength
        }
        guard total == stream.count * stream.width else {
            throw SnapshotError(
                .malformedColumn,
                message: "the stream length disagrees with the footer",
                section: section
            )
        }
    }

    private static func verifyChecksum(
        _ block: BlockEntry,
        section: String,
        file: UnsafeRawBufferPointer
    ) throws(SnapshotError) {
        let frame = UnsafeRawBufferPointer(rebasing: file[block.offset..<(block.offset + block.length)])
        guard XXH64.hash(frame).hex16 == block.checksum else {
            throw SnapshotError(.checksumMismatch, message: "checksum mismatch", section: section, offset: block.offset)
        }
    }

    /// Decodes one stream straight into an array of its element type, its blocks spread over `workers` threads.
    private static func decodeStream(
        _ stream: StreamEntry,
        column: String,
        kind: String,
        file: UnsafeRawBufferPointer,
        workers: Int = 1,
        decompressor: ZstdDecompressor,
        scratch: inout [UInt8]
    ) throws(SnapshotError) -> DecodedStream {
        let section = "column '\(column)'"
        func fill<T>(_ type: T.Type) throws(SnapshotError) -> [T] {
            guard MemoryLayout<T>.stride == stream.width else {
                throw SnapshotError(
                    .malformedColumn,
                    message: "element width \(stream.width) is invalid",
                    section: section
                )
            }
            var failure: SnapshotError?
            let values = [T](unsafeUninitializedCapacity: stream.count) { buffer, initialized in
                let destination = UnsafeMutableRawBufferPointer(buffer)
                do {
                    try decodeBlocks(
                        of: stream,
                        section: section,
                        file: file,
                        into: destination,
                        workers: workers,
                        decompressor: decompressor,
                        scratch: &scratch
                    )
                } catch let error as SnapshotError {
                    failure = error
                } catch {
                    failure = SnapshotError(.malformedColumn, message: "\(error)", section: section)
                }
                if failure != nil { destination.initializeMemory(as: UInt8.self, repeating: 0) }
                initialized = stream.count
            }
            if let failure { throw failure }
            return values
        }
        switch (stream.width, stream.role) {
        case (1, _): return .bytes(try fill(UInt8.self))
        case (2, _): return .u16(try fill(UInt16.self))
        case (4, _): return .u32(try fill(UInt32.self))
        case (8, "dictionary.offsets"): return .ints(try fill(Int.self))
        case (8, _): return .int64(try fill(Int64.self))
        default:
            throw SnapshotError(.malformedColumn, message: "element width \(stream.width) is invalid", section: section)
        }
    }

    /// Decodes every block of a stream into `destination`, which it must fill exactly. With more than one worker,
    /// blocks are decoded concurrently (each worker with its own zstd context) into their own byte ranges.
    private static func decodeBlocks(
        of stream: StreamEntry,
        section: String,
        file: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        workers: Int,
        decompressor: ZstdDecompressor,
        scratch: inout [UInt8]
    ) throws(SnapshotError) {
        var starts: [Int] = []
        var total = 0
        for block in stream.blocks {
            starts.append(total)
            total += max(block.rawLength, 0)
        }
        guard total == stream.count * stream.width else {
            throw SnapshotError(
                .malformedColumn,
                message: "the stream length disagrees with the footer",
                section: section
            )
        }
        if workers <= 1 || stream.blocks.count < 2 {
            for (index, block) in stream.blocks.enumerated() {
                _ = try decodeBlock(
                    block,
                    stream: stream,
                    section: section,
                    file: file,
                    into: destination,
                    at: starts[index],
                    decompressor: decompressor,
                    scratch: &scratch
                )
            }
            return
        }
        let (source, target, offsets) = (UnsafeTransfer(file), UnsafeTransfer(destination), starts)
        let next = Locked(0)
        let failure = Locked<SnapshotError?>(nil)
        DispatchQueue.concurrentPerform(iterations: min(workers, stream.blocks.count)) { _ in
            let decompressor = ZstdDecompressor()
            var scratch: [UInt8] = []
            while let index = next.withLock({ (next: inout Int) -> Int? in
                guard next < stream.blocks.count else { return nil }
                defer { next += 1 }
                return next
            }) {
                do throws(SnapshotError) {
                    _ = try decodeBlock(
                        stream.blocks[index],
                        stream: stream,
                        section: section,
                        file: source.value,
                        into: target.value,
                        at: offsets[index],
                        decompressor: decompressor,
                        scratch: &scratch
                    )
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Verifies, decompresses and decodes one block into `destination` at byte `offset`.
    /// - Returns: the byte offset after the block.
    private static func decodeBlock(
        _ block: BlockEntry,
        stream: StreamEntry,
        section: String,
        file: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        at offset: Int,
        decompressor: ZstdDecompressor,
        scratch: inout [UInt8]
    ) throws(SnapshotError) -> Int {
        try verifyChecksum(block, section: section, file: file)
        let frame = UnsafeRawBufferPointer(rebasing: file[block.offset..<(block.offset + block.length)])
        let width = max(stream.width, 1)
        guard block.rawLength >= 0, block.rawLength % width == 0, offset + block.rawLength <= destination.count else {
            throw SnapshotError(
                .malformedColumn,
                message: "a block does not fit its stream",
                section: section,
                offset: block.offset
            )
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: destination[offset..<(offset + block.rawLength)])
        let undecompressable = SnapshotError(
            .malformedColumn,
            message: "a block does not decompress",
            section: section,
            offset: block.offset
        )
        switch stream.encoding {
        case "plain":
            guard decompressor.decompress(frame, into: target) else { throw undecompressable }
        case "shuffle", "delta-shuffle":
            if scratch.count < block.rawLength { scratch = [UInt8](repeating: 0, count: block.rawLength) }
            let ok = scratch.withUnsafeMutableBytes { buffer in
                let staging = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<block.rawLength])
                guard decompressor.decompress(frame, into: staging) else { return false }
                ByteShuffle.unshuffle(UnsafeRawBufferPointer(staging), width: width, into: target)
                return true
            }
            guard ok else { throw undecompressable }
            if stream.encoding == "delta-shuffle" {
                guard width == 8 else { throw undecompressable }
                let values = target.bindMemory(to: Int64.self)
                var running: Int64 = 0
                for index in values.indices {
                    running = running &+ values[index]
                    values[index] = running
                }
            }
        default:
            throw SnapshotError(
                .malformedColumn,
                message: "unknown encoding '\(stream.encoding)'",
                section: section,
                offset: block.offset
            )
        }
        return offset + block.rawLength
    }

    /// A dictionary column from its three decoded streams: codes, text bytes, offsets.
    private static func dictionaryColumn(
        _ name: String,
        _ parts: [DecodedStream]
    ) throws(SnapshotError) -> DictionaryColumn {
        let malformed = SnapshotError(
            .malformedColumn,
            message: "a stream has the wrong element type",
            section: "column '\(name)'"
        )
        guard parts.count == 3 else {
            throw SnapshotError(
                .malformedColumn,
                message: "column is missing or incomplete",
                section: "column '\(name)'"
            )
        }
        let codes: CodeArray
        switch parts[0] {
        case .bytes(let values): codes = .u8(values)
        case .u16(let values): codes = .u16(values)
        case .u32(let values): codes = .u32(values)
        default: throw malformed
        }
        guard case .bytes(let text) = parts[1], case .ints(let offsets) = parts[2] else { throw malformed }
        return DictionaryColumn(dictionary: StringDictionary(bytes: text, offsets: offsets), codes: codes)
    }

    private static func assemble(
        footer: SnapshotFooter,
        columns: [String: [DecodedStream]],
        deferred: [String: DeferredColumn],
        redecoders: [String: @Sendable () -> TimeColumn],
        releasable: [String: @Sendable () -> DictionaryColumn]
    ) throws(SnapshotError) -> InstanceTable {
        func streams(_ name: String, _ count: Int) throws(SnapshotError) -> [DecodedStream] {
            guard let found = columns[name], found.count == count else {
                throw SnapshotError(
                    .malformedColumn,
                    message: "column is missing or incomplete",
                    section: "column '\(name)'"
                )
            }
            return found
        }
        func malformed(_ name: String) -> SnapshotError {
            SnapshotError(.malformedColumn, message: "a stream has the wrong element type", section: "column '\(name)'")
        }
        func int64s(_ name: String) throws(SnapshotError) -> [Int64] {
            guard case .int64(let values) = try streams(name, 1)[0] else { throw malformed(name) }
            return values
        }
        func bytes(_ name: String) throws(SnapshotError) -> [UInt8] {
            guard case .bytes(let values) = try streams(name, 1)[0] else { throw malformed(name) }
            return values
        }
        func dictionary(_ name: String) throws(SnapshotError) -> DictionaryColumn {
            try dictionaryColumn(name, try streams(name, 3))
        }
        func times(_ name: String) throws(SnapshotError) -> DeferredTimes {
            let column = TimeColumn(try int64s(name))
            guard let decode = redecoders[name] else { return DeferredTimes(column) }
            return DeferredTimes(decoded: column, decode: decode)
        }
        func storage(_ name: String) throws(SnapshotError) -> DeferredColumn {
            if let column = deferred[name] { return column }
            if let decode = releasable[name] { return DeferredColumn(decoded: try dictionary(name), decode: decode) }
            return DeferredColumn(try dictionary(name))
        }
        let formNames = footer.columns.map(\.name).filter { $0.hasPrefix("form:") }
        do {
            return try InstanceTable(
                createTime: try times("create_time"),
                finishTime: try times("finish_time"),
                status: try bytes("status"),
                result: try bytes("result"),
                instanceId: try storage("instance_id"),
                businessId: try storage("business_id"),
                title: try storage("title"),
                userId: try dictionary("user_id"),
                userName: try dictionary("user_name"),
                deptId: try dictionary("dept_id"),
                deptName: try dictionary("dept_name"),
                formFields: try formNames.map { name throws(SnapshotError) in
                    FormFieldColumn(name: String(name.dropFirst(5)), storage: try storage(name))
                },
                validate: true
            )
        } catch let error as TableError {
            throw snapshotError(error, columns: footer.columns)
        } catch let error as SnapshotError {
            throw error
        } catch {
            throw SnapshotError(.malformedColumn, message: "\(error)")
        }
    }

    private static func readUInt64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    private static func readUInt32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
}
