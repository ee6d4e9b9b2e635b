#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole files into memory with POSIX calls, so failures carry the `errno` text.
enum FileContents {
    /// Regular files of at least this many bytes are mapped rather than read.
    static let mappingThreshold = 1 << 20

    /// Calls `body` with the whole content of a file.
    ///
    /// A large regular file is mapped read-only (no copy, and its pages can be dropped under memory pressure);
    /// anything else (small files, pipes, or a file that cannot be mapped) is read into memory. The bytes are
    /// valid only inside `body`. A mapped file must not be truncated while it is read.
    /// - Parameters:
    ///   - path: The file.
    ///   - body: Called once with the bytes and whether they are mapped (only mapped bytes may be passed to
    ///     ``release(_:_:)``).
    /// - Returns: What `body` returns.
    /// - Throws: ``ImportError/Code/unreadableFile`` naming the path and the system's reason, or what `body` throws.
    static func withContents<Result>(
        _ path: String,
        _ body: (UnsafeBufferPointer<UInt8>, _ mapped: Bool) throws(ImportError) -> Result
    ) throws(ImportError) -> Result {
        if let mapping = try map(path) {
            defer { munmap(mapping.baseAddress, mapping.count) }
            return try body(UnsafeBufferPointer(mapping.bindMemory(to: UInt8.self)), true)
        }
        let bytes = try read(path)
        return try bytes.withUnsafeBufferPointer { buffer throws(ImportError) in try body(buffer, false) }
    }

    /// Hands the whole pages inside `range` of a mapped file back to the system once they are read: a file read
    /// front to back then keeps only the pages in flight resident, not the whole file. Reading them again is
    /// correct (they come back from the file) but costs a page fault each.
    /// - Parameters:
    ///   - bytes: Bytes that ``withContents(_:_:)`` passed as mapped; anything else would be zeroed.
    ///   - range: The offsets read.
    static func release(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = UInt(bitPattern: base + range.lowerBound)
        let end = UInt(bitPattern: base + range.upperBound)
        let first = (start + UInt(page) - 1) / UInt(page) * UInt(page)
        let last = end / UInt(page) * UInt(page)
        guard first < last else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: first), Int(last - first), MADV_DONTNEED)
    }

    /// Maps a large regular file read-only, or returns `nil` when it should be read instead.
    private static func map(_ path: String) throws(ImportError) -> UnsafeMutableRawBufferPointer? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(path, errno) }
        try checkKind(path, info)
        guard (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) >= mappingThreshold else { return nil }
        let size = Int(info.st_size)
        guard size <= ImportError.maximumFileBytes else {
            throw ImportError.tooLarge(path, limit: ImportError.maximumFileBytes)
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            return nil
        }
        // Read ahead into the page cache without mapping the pages (`madvise(MADV_WILLNEED)` would map the whole
        // file at once, and count it all as resident).
        _ = posix_fadvise(descriptor, 0, off_t(size), POSIX_FADV_WILLNEED)
        return UnsafeMutableRawBufferPointer(start: address, count: size)
    }

    /// Refuses directories, devices and sockets: only regular files and pipes have an end to read to.
    private static func checkKind(_ path: String, _ info: stat) throws(ImportError) {
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFIFO: return
        case S_IFDIR: throw failure(path, EISDIR)
        case S_IFCHR: throw ImportError.notRegular(path, kind: "a character device")
        case S_IFBLK: throw ImportError.notRegular(path, kind: "a block device")
        case S_IFSOCK: throw ImportError.notRegular(path, kind: "a socket")
        default: throw ImportError.notRegular(path, kind: "a special file")
        }
    }

    /// Reads a file completely.
    /// - Parameters:
    ///   - path: The file to read.
    ///   - limit: The most bytes to accept (``ImportError/maximumFileBytes`` unless a test asks for less).
    /// - Returns: The file's bytes.
    /// - Throws: ``ImportError/Code/unreadableFile`` naming the path and the system's reason,
    ///   ``ImportError/Code/notRegularFile`` for a device or socket, ``ImportError/Code/fileTooLarge`` when the
    ///   file (or what a pipe delivers) exceeds `limit`.
    static func read(_ path: String, limit: Int = ImportError.maximumFileBytes) throws(ImportError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(path, errno) }
        try checkKind(path, info)
        guard Int(info.st_size) <= limit else { throw ImportError.tooLarge(path, limit: limit) }
        // One byte more than the size, so the end of the file is seen without growing the buffer; the buffer is
        // left uninitialised (no zero fill) because `read` overwrites it.
        var capacity = max(Int(info.st_size), 0) + 1
        var bytes: [UInt8] = []
        var readError: Int32 = 0
        while true {
            let previous = bytes
            bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                initialized = buffer.initialize(fromContentsOf: previous)
                while initialized < buffer.count {
                    let got = systemRead(descriptor, buffer.baseAddress! + initialized, buffer.count - initialized)
                    if got > 0 {
                        initialized += got
                    } else if got == 0 {
                        return
                    } else if errno != EINTR {
                        readError = errno
                        return
                    }
                }
            }
            if readError != 0 { throw failure(path, readError) }
            // The file grew while it was read (or is a pipe): read on into a larger buffer, up to the limit.
            guard bytes.count >= capacity else { return bytes }
            guard bytes.count <= limit else { throw ImportError.tooLarge(path, limit: limit) }
            capacity = min(capacity * 2, limit + 1)
        }
    }

    private static func failure(_ path: String, _ code: Int32) -> ImportError {
        ImportError.unreadable(path, errno: code, reason: String(cString: strerror(code)))
    }
}

/// The POSIX `read`, named apart from ``FileContents/read(_:)``.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
