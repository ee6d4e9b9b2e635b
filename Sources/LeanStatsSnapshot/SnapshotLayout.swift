/// The on-disk layout of a snapshot file (see docs/snapshot-format.md).
///
/// ```
/// header   16 bytes  "LEANSNAP" · format version (UInt32 LE) · flags (UInt32 LE, 0)
/// blocks   …         zstd frames, back to back, each listed in the footer
/// footer   …         JSON (UTF-8): rows, metadata, columns → streams → blocks with offset, length, xxh64
/// trailer  40 bytes  footer offset · footer length · xxh64(footer) · xxh64(header) (UInt64 LE each) · "LEANSEND"
/// ```
enum SnapshotLayout {
    static let headerMagic: [UInt8] = Array("LEANSNAP".utf8)
    static let trailerMagic: [UInt8] = Array("LEANSEND".utf8)
    static let formatVersion: UInt32 = 1
    static let headerSize = 16
    static let trailerSize = 40
    /// Elements per block for numeric streams.
    static let blockElements = 256 * 1024
    /// Bytes per block for dictionary text.
    static let blockBytes = 4 << 20
    static let fileExtension = "lsnap"
}

/// The footer: everything needed to find, check and decode each column.
struct SnapshotFooter: Codable, Equatable {
    var format: Int
    var generation: Int
    var createdAt: Int64
    var rowCount: Int
    var firstCreateTime: Int64?
    var lastCreateTime: Int64?
    var metadata: [String: String]
    var columns: [ColumnEntry]
}

/// One logical column and the streams it is stored in.
struct ColumnEntry: Codable, Equatable {
    /// `create_time`, `finish_time`, `status`, `result`, `user_id`, `form:提案类别`, …
    var name: String
    /// `int64`, `uint8` or `dictionary`.
    var kind: String
    /// For dictionary columns: 1, 2 or 4 bytes per code.
    var codeWidth: Int?
    var streams: [StreamEntry]
}

/// A sequence of fixed-width elements or raw bytes, cut into blocks.
struct StreamEntry: Codable, Equatable {
    /// `values`, `codes`, `dictionary.bytes`, `dictionary.offsets`.
    var role: String
    /// `plain`, `shuffle` (byte planes) or `delta-shuffle` (differences, then byte planes).
    var encoding: String
    /// Bytes per element.
    var width: Int
    /// Elements in the stream.
    var count: Int
    var blocks: [BlockEntry]

    /// The bytes of the file its blocks occupy (blocks of a stream are written back to back).
    var byteRange: Range<Int> {
        guard let first = blocks.first, let last = blocks.last else { return 0..<0 }
        return first.offset..<max(first.offset, last.offset + last.length)
    }
}

/// One zstd frame in the file.
struct BlockEntry: Codable, Equatable {
    /// Byte offset of the frame in the file.
    var offset: Int
    /// Stored (compressed) length.
    var length: Int
    /// Decoded length in bytes.
    var rawLength: Int
    /// xxh64 of the stored bytes, as 16 hex digits.
    var checksum: String
}

extension UInt64 {
    var hex16: String {
        let text = String(self, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}

/// Byte-plane shuffling (Blosc style): element bytes regrouped by position so zstd sees long similar runs.
enum ByteShuffle {
    static func shuffle(_ input: UnsafeRawBufferPointer, width: Int) -> [UInt8] {
        let count = input.count / width
        return [UInt8](unsafeUninitializedCapacity: input.count) { output, initialized in
            let whole =
                width == 8
                ? transposeEights(input, count: count, into: UnsafeMutableRawBufferPointer(output), shuffling: true) : 0
            for plane in 0..<width {
                let base = plane * count
                for index in whole..<count { output[base + index] = input[index * width + plane] }
            }
            initialized = input.count
        }
    }

    /// Regroups byte planes back into elements, writing into `output` (same size as `input`).
    /// - Complexity: O(n); each element is assembled from its bytes in registers and stored once.
    static func unshuffle(_ input: UnsafeRawBufferPointer, width: Int, into output: UnsafeMutableRawBufferPointer) {
        let count = input.count / width
        guard count > 0, let source = input.baseAddress, let target = output.baseAddress else { return }
        let bytes = source.assumingMemoryBound(to: UInt8.self)
        switch width {
        case 8:
            let whole = transposeEights(input, count: count, into: output, shuffling: false)
            let values = target.assumingMemoryBound(to: UInt64.self)
            for index in whole..<count {
                var value: UInt64 = 0
                for plane in 0..<8 { value |= UInt64(bytes[plane &* count &+ index]) &<< UInt64(8 &* plane) }
                values[index] = UInt64(littleEndian: value)
            }
        case 4:
            let values = target.assumingMemoryBound(to: UInt32.self)
            for index in 0..<count {
                var value: UInt32 = 0
                for plane in 0..<4 { value |= UInt32(bytes[plane &* count &+ index]) &<< UInt32(8 &* plane) }
                values[index] = UInt32(littleEndian: value)
            }
        case 2:
            let values = target.assumingMemoryBound(to: UInt16.self)
            for index in 0..<count {
                values[index] = UInt16(littleEndian: UInt16(bytes[index]) | UInt16(bytes[count &+ index]) &<< 8)
            }
        default:
            let out = target.assumingMemoryBound(to: UInt8.self)
            for plane in 0..<width {
                let base = plane * count
                for index in 0..<count { out[index * width + plane] = bytes[base + index] }
            }
        }
    }

    /// Shuffles or unshuffles 8-byte elements eight at a time: eight word loads, an 8×8 byte transpose in
    /// registers (its own inverse), eight word stores. When shuffling, the loads are eight elements and the stores
    /// go to the eight byte planes; when unshuffling, the other way round. The compiler does not vectorise the
    /// byte-by-byte loop for this width; this runs about four times faster. Little-endian hosts only, like the
    /// format.
    /// - Returns: the number of elements done (a multiple of 8); the caller finishes the rest.
    private static func transposeEights(
        _ input: UnsafeRawBufferPointer,
        count: Int,
        into output: UnsafeMutableRawBufferPointer,
        shuffling: Bool
    ) -> Int {
        @inline(__always) func swap(_ a: inout UInt64, _ b: inout UInt64, _ shift: UInt64, _ mask: UInt64) {
            let mixed = ((a &>> shift) ^ b) & mask
            b ^= mixed
            a ^= mixed &<< shift
        }
        // Word `row` of the eight at element `index`: in plane order when unshuffling, element order when shuffling.
        @inline(__always) func load(_ row: Int, _ index: Int) -> UInt64 {
            let offset = shuffling ? (index &+ row) &* 8 : row &* count &+ index
            return input.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        }
        @inline(__always) func store(_ word: UInt64, _ row: Int, _ index: Int) {
            let offset = shuffling ? row &* count &+ index : (index &+ row) &* 8
            output.storeBytes(of: word, toByteOffset: offset, as: UInt64.self)
        }
        let bytes: UInt64 = 0x00FF_00FF_00FF_00FF
        let pairs: UInt64 = 0x0000_FFFF_0000_FFFF
        let quads: UInt64 = 0x0000_0000_FFFF_FFFF
        let whole = count & ~7
        var index = 0
        while index < whole {
            var rows = (
                load(0, index), load(1, index), load(2, index), load(3, index),
                load(4, index), load(5, index), load(6, index), load(7, index)
            )
            swap(&rows.0, &rows.1, 8, bytes)
            swap(&rows.2, &rows.3, 8, bytes)
            swap(&rows.4, &rows.5, 8, bytes)
            swap(&rows.6, &rows.7, 8, bytes)
            swap(&rows.0, &rows.2, 16, pairs)
            swap(&rows.1, &rows.3, 16, pairs)
            swap(&rows.4, &rows.6, 16, pairs)
            swap(&rows.5, &rows.7, 16, pairs)
            swap(&rows.0, &rows.4, 32, quads)
            swap(&rows.1, &rows.5, 32, quads)
            swap(&rows.2, &rows.6, 32, quads)
            swap(&rows.3, &rows.7, 32, quads)
            store(rows.0, 0, index)
            store(rows.1, 1, index)
            store(rows.2, 2, index)
            store(rows.3, 3, index)
            store(rows.4, 4, index)
            store(rows.5, 5, index)
            store(rows.6, 6, index)
            store(rows.7, 7, index)
            index &+= 8
        }
        return whole
    }

    static func unshuffle(_ input: [UInt8], width: Int) -> [UInt8] {
        let count = input.count / width
        return [UInt8](unsafeUninitializedCapacity: input.count) { output, initialized in
            input.withUnsafeBufferPointer { source in
                for plane in 0..<width {
                    let base = plane * count
                    for index in 0..<count { output[index * width + plane] = source[base + index] }
                }
            }
            initialized = input.count
        }
    }
}
