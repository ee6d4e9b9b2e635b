import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The REPL's history on disk: plain UTF-8, one entry per line, readable only by its owner.
///
/// Each entry is appended as soon as it is entered, so a session that is killed loses nothing and two sessions
/// interleave rather than overwrite each other. Loading keeps the newest entries and rewrites the file when it has
/// grown to twice the limit.
struct HistoryFile {
    /// The file path.
    let path: String

    /// The history file of this user: `$LEANSTATS_HISTORY`, else `~/.leanstats_history`; `nil` when
    /// `LEANSTATS_HISTORY` is set but empty, which turns persistent history off.
    static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> HistoryFile? {
        if let path = environment["LEANSTATS_HISTORY"] {
            return path.isEmpty ? nil : HistoryFile(path: (path as NSString).expandingTildeInPath)
        }
        return HistoryFile(path: NSHomeDirectory() + "/.leanstats_history")
    }

    /// The newest entries, oldest first; none when the file does not exist or cannot be read.
    /// - Parameter limit: how many entries to keep.
    func load(limit: Int) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let entries = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        if entries.count > 2 * limit { rewrite(Array(entries.suffix(limit))) }
        return Array(entries.suffix(limit))
    }

    /// Appends one entry, creating the file with mode 0600 when it is missing; failures are ignored, since
    /// history is a convenience.
    func append(_ entry: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array((entry + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Replaces the file with `entries` through a temporary file and a rename.
    private func rewrite(_ entries: [String]) {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        let bytes = Array(entries.map { $0 + "\n" }.joined().utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        if written == bytes.count {
            rename(temporary, path)
        } else {
            unlink(temporary)
        }
    }
}
