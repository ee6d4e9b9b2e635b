import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What reading a journal from some offset found.
struct JournalContents {
    /// The complete records, in order.
    var entries: [JournalEntry]
    /// The offset just after the last complete append (its commit record): where the next append starts.
    var validEnd: Int
    /// The file's size when it was read; bytes between `validEnd` and it are a torn (or still growing) tail.
    var fileSize: Int
}

/// Reads journal files: checks the header, replays complete records, stops at a torn tail and refuses a damaged
/// record that good records follow.
enum JournalReader {
    /// Reads the journal at `path` from `offset` (0 or less: from the start, checking the header).
    /// - Parameters:
    ///   - path: The journal file.
    ///   - offset: Where the previous read stopped (a record boundary), or 0.
    ///   - base: The generation the file's name says it sits on.
    /// - Returns: The complete records from `offset` on, and where they end.
    /// - Throws: ``SnapshotError`` for a damaged header, a damaged record followed by a good one
    ///   (`.malformedJournal`, naming the byte offset), or an I/O failure.
    static func read(path: String, from offset: Int = 0, base: Int) throws(SnapshotError) -> JournalContents {
        let start = max(offset, 0)
        let bytes = try readFile(path, from: start < JournalLayout.headerSize ? 0 : start)
        let all = bytes.bytes
        var position = bytes.start
        if start < JournalLayout.headerSize {
            try checkHeader(all, base: base, path: path)
            position = JournalLayout.headerSize
        }
        let end = bytes.start + all.count
        var entries: [JournalEntry] = []
        // Records of an append not yet closed by its commit record, and where the last commit ended.
        var group: [JournalEntry] = []
        var committed = position
        while position < end {
            guard let length = completeRecord(all, at: position - bytes.start) else {
                if let good = firstGoodRecord(all, after: position - bytes.start) {
                    throw SnapshotError(
                        .malformedJournal,
                        message:
                            "journal record is damaged although a good record follows at byte \(good + bytes.start); "
                            + "acknowledged changes would be lost — restore the store from a backup, or move the "
                            + "journal aside to fall back to the snapshot",
                        file: path,
                        section: "journal record",
                        offset: position
                    )
                }
                break
            }
            let local = position - bytes.start
            let kind = all[local + 2]
            do {
                group.append(
                    try JournalEntry.decode(
                        kind: kind,
                        payload: all[(local + JournalLayout.recordHeaderSize)..<(local + length)]
                    )
                )
            } catch {
                var located = error
                located.file = path
                located.offset = position
                throw located
            }
            position += length
            if all[local + 3] & JournalLayout.commitFlag != 0 {
                entries += group
                group = []
                committed = position
            }
        }
        return JournalContents(entries: entries, validEnd: committed, fileSize: end)
    }

    /// The length of the complete, checksum-verified record at `offset`, or `nil`.
    static func completeRecord(_ bytes: [UInt8], at offset: Int) -> Int? {
        guard offset + JournalLayout.recordHeaderSize <= bytes.count else { return nil }
        guard bytes[offset] == JournalLayout.marker.0, bytes[offset + 1] == JournalLayout.marker.1,
            JournalLayout.kinds.contains(bytes[offset + 2]),
            bytes[offset + 3] & ~JournalLayout.commitFlag == 0
        else { return nil }
        let slice = bytes[...]
        let payload = Int(JournalLayout.read(UInt32.self, slice, at: offset + 4))
        guard payload <= JournalLayout.maximumPayload,
            offset + JournalLayout.recordHeaderSize + payload <= bytes.count
        else { return nil }
        let seed = JournalLayout.read(UInt64.self, slice, at: offset)
        let expected = JournalLayout.read(UInt64.self, slice, at: offset + 8)
        let start = offset + JournalLayout.recordHeaderSize
        let actual = bytes.withUnsafeBytes { raw in
            XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[start..<(start + payload)]), seed: seed)
        }
        return actual == expected ? JournalLayout.recordHeaderSize + payload : nil
    }

    /// The offset of the first complete record that starts after `offset`, or `nil` when none does (a torn tail).
    /// - Complexity: O(tail) marker comparisons plus one checksum per position that looks like a record header.
    static func firstGoodRecord(_ bytes: [UInt8], after offset: Int) -> Int? {
        var candidate = offset + 1
        while candidate + JournalLayout.recordHeaderSize <= bytes.count {
            if bytes[candidate] == JournalLayout.marker.0, completeRecord(bytes, at: candidate) != nil {
                return candidate
            }
            candidate += 1
        }
        return nil
    }

    static func checkHeader(_ bytes: [UInt8], base: Int, path: String) throws(SnapshotError) {
        guard bytes.count >= JournalLayout.headerSize, Array(bytes[0..<8]) == JournalLayout.magic else {
            throw SnapshotError(
                .badMagic,
                message: "not a LeanStats journal (no LEANJRNL header); move the file out of the data directory",
                file: path,
                section: "header",
                offset: 0
            )
        }
        let slice = bytes[...]
        guard XXH64.hash(bytes[0..<24]) == JournalLayout.read(UInt64.self, slice, at: 24) else {
            throw SnapshotError(
                .checksumMismatch,
                message: "journal header checksum mismatch; restore the store from a backup",
                file: path,
                section: "header",
                offset: 0
            )
        }
        let version = JournalLayout.read(UInt32.self, slice, at: 8)
        guard version == JournalLayout.version else {
            throw SnapshotError(
                .unsupportedVersion,
                message: "journal format version \(version) is not supported; use the LeanStats that wrote it",
                file: path,
                section: "header",
                offset: 8
            )
        }
        let recorded = Int(JournalLayout.read(UInt64.self, slice, at: 16))
        guard recorded == base else {
            throw SnapshotError(
                .wrongGeneration,
                message:
                    "the journal records base generation \(recorded) but is named for generation \(base); "
                    + "move it out of the data directory",
                file: path,
                section: "header",
                offset: 16
            )
        }
    }

    /// The bytes of a file from `start` to its current end.
    static func readFile(_ path: String, from start: Int) throws(SnapshotError) -> (bytes: [UInt8], start: Int) {
        let handle = open(path, O_RDONLY | O_CLOEXEC)
        if handle < 0 { throw DurableFile.failure("cannot open", path) }
        defer { close(handle) }
        var info = stat()
        if fstat(handle, &info) != 0 { throw DurableFile.failure("cannot stat", path) }
        let size = max(0, Int(info.st_size) - start)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let result = bytes.withUnsafeMutableBytes { raw in
                pread(handle, raw.baseAddress! + done, size - done, off_t(start + done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw DurableFile.failure("cannot read", path)
            }
            if result == 0 { break }
            done += result
        }
        if done < size { bytes.removeSubrange(done...) }
        return (bytes, start)
    }
}
