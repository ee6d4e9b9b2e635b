#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole files into memory with POSIX calls, so failures carry the `errno` text.
enum FileContents {
    /// Reads a file completely.
    /// - Parameter path: The file to read.
    /// - Returns: The file's bytes.
    /// - Throws: ``ImportError/Code/unreadableFile`` naming the path and the system's reason.
    static func read(_ path: String) throws(ImportError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(path, errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw failure(path, EISDIR) }
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
            // The file grew while it was read: read on into a larger buffer.
            guard bytes.count >= capacity else { return bytes }
            capacity *= 2
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
