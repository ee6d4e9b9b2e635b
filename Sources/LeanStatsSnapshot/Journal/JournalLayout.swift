/// The journal file's constants and framing (docs/journal-format.md).
enum JournalLayout {
    /// `journal-00000042.lsj`.
    static let fileExtension = "lsj"
    /// The first eight bytes of every journal file.
    static let magic: [UInt8] = Array("LEANJRNL".utf8)
    /// The format version in the header.
    static let version: UInt32 = 1
    /// Header: magic, version, flags, base generation, xxh64 of the first 24 bytes.
    static let headerSize = 32
    /// Record header: marker `JR`, kind, flags, payload length, xxh64 of the payload seeded with the first 8 bytes.
    static let recordHeaderSize = 16
    /// The largest payload a record may have (a batch of roughly a million instances).
    static let maximumPayload = 256 << 20
    /// The two bytes every record starts with.
    static let marker: (UInt8, UInt8) = (0x4A, 0x52)
    /// Kind of a record holding upserted instances.
    static let recordsKind: UInt8 = 1
    /// Kind of a record holding metadata keys.
    static let metadataKind: UInt8 = 2
    /// Kind of a record holding removed instance ids.
    static let removalsKind: UInt8 = 3
    /// Every record kind a reader knows.
    static let kinds: ClosedRange<UInt8> = recordsKind...removalsKind
    /// The flag of the last record of an append: the records of an append take effect together or not at all.
    static let commitFlag: UInt8 = 1

    /// The header of a journal on top of generation `base`.
    static func header(base: Int) -> [UInt8] {
        var bytes = magic
        append(version, to: &bytes)
        append(UInt32(0), to: &bytes)
        append(UInt64(base), to: &bytes)
        append(XXH64.hash(bytes), to: &bytes)
        return bytes
    }

    /// One framed record; `commits` marks the last record of an append.
    static func frame(_ entry: JournalEntry, commits: Bool = true) -> [UInt8] {
        let payload = entry.encodedPayload()
        var bytes: [UInt8] = [marker.0, marker.1, entry.kind, commits ? commitFlag : 0]
        append(UInt32(payload.count), to: &bytes)
        let seed = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        append(payload.withUnsafeBytes { XXH64.hash($0, seed: UInt64(littleEndian: seed)) }, to: &bytes)
        bytes += payload
        return bytes
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func read<T: FixedWidthInteger>(_ type: T.Type, _ bytes: ArraySlice<UInt8>, at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for index in 0..<MemoryLayout<T>.size { raw[index] = bytes[offset + index] }
        }
        return T(littleEndian: value)
    }
}
