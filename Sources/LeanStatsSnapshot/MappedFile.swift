#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a snapshot file, mapped read-only and unmapped when the object goes away.
///
/// Deferred columns keep the mapping alive and decode from it long after the load. That is safe because a
/// snapshot file is never modified in place: writers create a new file and rename it over the name, and removing
/// an old generation leaves existing mappings of it intact.
final class MappedFile: @unchecked Sendable {
    /// The whole file.
    let bytes: UnsafeRawBufferPointer
    private let isMapped: Bool

    /// Maps a file (`PROT_READ`, `MAP_PRIVATE`). The corresponding C functions are `open`, `fstat` and `mmap`.
    /// - Throws: ``SnapshotError`` with code `.io` when the file cannot be opened or mapped.
    init(mapping path: String) throws(SnapshotError) {
        let handle = open(path, O_RDONLY | O_CLOEXEC)
        if handle < 0 { throw DurableFile.failure("cannot open", path) }
        defer { close(handle) }
        var info = stat()
        if fstat(handle, &info) != 0 { throw DurableFile.failure("cannot stat", path) }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, handle, 0)
        guard let address, address != MAP_FAILED else {
            throw DurableFile.failure("cannot map \(formatByteCount(size)) of", path)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        isMapped = true
    }

    /// A private copy of bytes already in memory (for decoding a buffer rather than a file).
    init(copying source: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
        buffer.copyBytes(from: source)
        bytes = UnsafeRawBufferPointer(buffer)
        isMapped = false
    }

    deinit {
        guard let start = bytes.baseAddress else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: start), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: start).deallocate()
        }
    }

    /// Lets the kernel drop the pages of `range` from this process; they stay in the page cache and are read again
    /// if touched. Keeps the resident size down once compressed bytes have been checked or decoded.
    /// The corresponding C function is `madvise` with `MADV_DONTNEED`.
    func release(_ range: Range<Int>) {
        guard isMapped, let start = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = range.lowerBound / page * page
        let end = min((range.upperBound + page - 1) / page * page, bytes.count)
        guard first < end else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: start + first), end - first, MADV_DONTNEED)
    }
}

/// A byte count for messages, e.g. `224.6 MB`.
private func formatByteCount(_ count: Int) -> String {
    count < 1_000_000 ? "\(count) bytes" : "\(Double(count / 100_000) / 10) MB"
}
