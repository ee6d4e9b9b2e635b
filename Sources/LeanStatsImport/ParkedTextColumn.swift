import LeanStatsCore
import LeanStatsSnapshot

/// A merged text column set aside zstd-compressed while an import reads and joins form values, which never look at
/// it.
///
/// The instance ids are the largest column an import holds (10M distinct ids: ~370 MB of dictionary and 40 MB of
/// codes) and compress about eightfold, their codes (1, 2, 3, … for distinct ids) to almost nothing. Setting them
/// aside lowers the import's peak memory, which is reached while the form values are read and joined beside the
/// instance rows.
struct ParkedTextColumn: Sendable {
    private var bytes: CompressedBytes
    /// Each entry's byte length, code by code from 1.
    private var lengths: CompressedBytes
    private var codes: CompressedBytes
    private let codeWidth: Int

    /// Compresses `dictionary` and `codes`, or returns `nil` when an entry is too long for a 32-bit length or
    /// compression fails: the column then simply stays as it is.
    init?(_ dictionary: StringDictionary, _ codes: CodeArray) {
        var lengths = [UInt32]()
        lengths.reserveCapacity(dictionary.count)
        for code in 1..<max(dictionary.count, 1) {
            let length = dictionary.offsets[code + 1] - dictionary.offsets[code]
            guard length <= Int(UInt32.max) else { return nil }
            lengths.append(UInt32(length))
        }
        do {
            self.bytes = try dictionary.bytes.withUnsafeBytes { bytes throws(SnapshotError) in
                try CompressedBytes(compressing: bytes)
            }
            self.lengths = try lengths.withUnsafeBytes { bytes throws(SnapshotError) in
                try CompressedBytes(compressing: bytes)
            }
            self.codes = try Self.withBytes(of: codes) { bytes in
                Result { () throws(SnapshotError) in try CompressedBytes(compressing: bytes) }
            }.get()
        } catch {
            return nil
        }
        codeWidth = codes.width
    }

    /// The column as it was set aside; each compressed part is freed as soon as it is expanded, and the entry
    /// lengths are read a block at a time, so that restoring holds little beside the column it gives back.
    /// - Complexity: O(n); the text and the codes decompress on every core.
    mutating func restore() -> (StringDictionary, CodeArray) {
        // Frames compressed by this process decompress unless its memory was overwritten.
        do {
            let bytes = try self.bytes.decompressed(as: UInt8.self)
            self.bytes = CompressedBytes()
            // The compressed text's many small blocks would not fit the offsets: they go back to the system.
            FreedMemory.release()
            var offsets = [0, 0]
            offsets.reserveCapacity(lengths.count / MemoryLayout<UInt32>.size + 2)
            var end = 0
            try lengths.forEachBlock { block in
                for length in block.bindMemory(to: UInt32.self) {
                    end += Int(length)
                    offsets.append(end)
                }
            }
            lengths = CompressedBytes()
            let codes: CodeArray
            switch codeWidth {
            case 1: codes = .u8(try self.codes.decompressed(as: UInt8.self))
            case 2: codes = .u16(try self.codes.decompressed(as: UInt16.self))
            default: codes = .u32(try self.codes.decompressed(as: UInt32.self))
            }
            self.codes = CompressedBytes()
            return (StringDictionary(bytes: bytes, offsets: offsets), codes)
        } catch {
            preconditionFailure("a column set aside during the import no longer decompresses: \(error)")
        }
    }

    /// The bytes used in memory, compressed.
    var compressedCount: Int { bytes.compressedCount + lengths.compressedCount + codes.compressedCount }

    private static func withBytes<R>(of codes: CodeArray, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch codes {
        case .u8(let values): values.withUnsafeBytes(body)
        case .u16(let values): values.withUnsafeBytes(body)
        case .u32(let values): values.withUnsafeBytes(body)
        }
    }
}
