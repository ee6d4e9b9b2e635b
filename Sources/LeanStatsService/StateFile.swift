import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small JSON state file in the data directory (`serve-schedule.json`, `serve-alerts.json`), written durably:
/// open(O_EXCL, 0600) → write → fsync → rename → fsync(directory), so a crash leaves the old or the new state.
public struct StateFile<Value: Codable & Sendable>: Sendable {
    /// The file's path.
    public let path: String

    /// Names a state file.
    /// - Parameter path: The file's path; its directory is created on the first save.
    public init(path: String) {
        self.path = path
    }

    /// Reads the state.
    /// - Returns: `nil` when the file does not exist yet.
    /// - Throws: ``ServiceError`` with code `.state` when the file exists but cannot be read or decoded.
    public func load() throws(ServiceError) -> Value? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServiceError(.state, "cannot read the state file \(path); check its permissions")
        }
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch {
            throw ServiceError(.state, "the state file \(path) is damaged (\(error)); delete it to start afresh")
        }
    }

    /// Writes the state durably.
    /// - Parameter value: The new state.
    /// - Throws: ``ServiceError`` with code `.state` when the file cannot be written.
    public func save(_ value: Value) throws(ServiceError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(value))
        } catch {
            throw ServiceError(.state, "cannot encode the state for \(path): \(error)")
        }
        try writeDurably(bytes, to: path)
    }
}

/// Writes a file durably: a temporary file created exclusively with mode 0600, fsync'ed, renamed over `path`, then
/// the directory fsync'ed.
/// - Throws: ``ServiceError`` with code `.state`.
func writeDurably(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(ServiceError) {
    let directory = (path as NSString).deletingLastPathComponent
    let folder = directory.isEmpty ? "." : directory
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
        throw ServiceError(.state, "cannot create the directory \(folder): \(error.localizedDescription)")
    }
    let temporary = "\(path).\(getpid()).tmp"
    unlink(temporary)
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard descriptor >= 0 else { throw systemFailure("cannot create", temporary) }
    var written = 0
    while written < bytes.count {
        let result = bytes.withUnsafeBytes { raw in write(descriptor, raw.baseAddress! + written, raw.count - written) }
        if result < 0 {
            if errno == EINTR { continue }
            let failure = systemFailure("cannot write", temporary)
            close(descriptor)
            unlink(temporary)
            throw failure
        }
        written += result
    }
    if fsync(descriptor) != 0 {
        let failure = systemFailure("cannot fsync", temporary)
        close(descriptor)
        unlink(temporary)
        throw failure
    }
    close(descriptor)
    if rename(temporary, path) != 0 {
        let failure = systemFailure("cannot rename \(temporary) to", path)
        unlink(temporary)
        throw failure
    }
    let handle = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if handle >= 0 {
        defer { close(handle) }
        if fsync(handle) != 0 { throw systemFailure("cannot fsync the directory", folder) }
    }
}

/// A `.state` error from `errno`.
private func systemFailure(_ action: String, _ path: String) -> ServiceError {
    ServiceError(.state, "\(action) \(path): \(String(cString: strerror(errno)))")
}
