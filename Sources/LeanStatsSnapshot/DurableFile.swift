import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A new file written durably: created exclusively with mode 0600, fsync'ed before close.
/// Combined with ``DurableFile/publish(_:as:)`` (rename + directory fsync) a reader sees either the old or the
/// new file, never a partial one.
struct DurableFile {
    let path: String
    private var descriptor: Int32

    /// Creates the file; fails when it exists.
    init(creating path: String) throws(SnapshotError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 { throw Self.failure("cannot create", path) }
    }

    /// Appends bytes, retrying short writes.
    mutating func write(_ bytes: [UInt8]) throws(SnapshotError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.failure("cannot write", path)
            }
            written += result
        }
    }

    /// Flushes the file to stable storage and closes it.
    mutating func syncAndClose() throws(SnapshotError) {
        if fsync(descriptor) != 0 { throw Self.failure("cannot fsync", path) }
        if close(descriptor) != 0 { throw Self.failure("cannot close", path) }
        descriptor = -1
    }

    /// Renames a finished temporary file into place and fsyncs the directory so the rename survives a crash.
    static func publish(_ temporary: String, as final: String) throws(SnapshotError) {
        if rename(temporary, final) != 0 { throw failure("cannot rename \(temporary) to", final) }
        try syncDirectory(of: final)
    }

    /// fsyncs the directory that holds `path`.
    static func syncDirectory(of path: String) throws(SnapshotError) {
        let directory = (path as NSString).deletingLastPathComponent
        let handle = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if handle < 0 { throw failure("cannot open directory", directory) }
        defer { close(handle) }
        if fsync(handle) != 0 { throw failure("cannot fsync directory", directory) }
    }

    /// Reads a whole file.
    static func readAll(_ path: String) throws(SnapshotError) -> [UInt8] {
        let handle = open(path, O_RDONLY | O_CLOEXEC)
        if handle < 0 { throw failure("cannot open", path) }
        defer { close(handle) }
        var info = stat()
        if fstat(handle, &info) != 0 { throw failure("cannot stat", path) }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let result = bytes.withUnsafeMutableBytes { raw in read(handle, raw.baseAddress! + done, size - done) }
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read", path)
            }
            if result == 0 { break }
            done += result
        }
        if done < size { bytes.removeSubrange(done...) }
        return bytes
    }

    static func failure(_ action: String, _ path: String) -> SnapshotError {
        let reason = String(cString: strerror(errno))
        var hint = ""
        switch errno {
        case ENOSPC: hint = "; free disk space and retry (the previous snapshot is untouched)"
        case EACCES, EPERM, EROFS: hint = "; check the permissions of the data directory or choose another with --data"
        default: break
        }
        return SnapshotError(.io, message: "\(action) \(path): \(reason)\(hint)")
    }
}
