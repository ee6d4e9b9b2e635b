import Foundation
import LeanStatsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A data directory of snapshot generations: `snapshot-00000001.lsnap`, `snapshot-00000002.lsnap`, …
///
/// Writers create the next generation in a temporary file (mode 0600), fsync it, rename it into place and fsync
/// the directory; only then is the generation before the previous one removed. Readers take the newest file
/// that verifies, and say on stderr when they had to fall back to an older one.
public struct SnapshotStore: Sendable {
    /// The data directory.
    public let directory: String

    /// How many finished generations to keep (the newest and the one before it).
    public static let keptGenerations = 2

    /// Opens a data directory (it need not exist yet).
    public init(directory: String) {
        self.directory = directory
    }

    /// The path of a generation's file.
    public func path(ofGeneration generation: Int) -> String {
        let digits = String(generation)
        return
            "\(directory)/snapshot-\(String(repeating: "0", count: max(0, 8 - digits.count)))\(digits).\(SnapshotLayout.fileExtension)"
    }

    /// The generations present, newest first.
    public func generations() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("snapshot-"), name.hasSuffix("." + SnapshotLayout.fileExtension) else { return nil }
            return Int(name.dropFirst("snapshot-".count).dropLast(SnapshotLayout.fileExtension.count + 1))
        }.sorted(by: >)
    }

    /// Loads the newest generation that verifies, with the changes journaled on top of it replayed
    /// (docs/journal-format.md).
    /// - Parameter warn: receives one line per damaged generation that was skipped.
    /// - Returns: `nil` when the directory holds no snapshot and no journal yet.
    /// - Throws: ``SnapshotError`` when snapshots exist but none verifies (the newest error is reported), or when a
    ///   journal is damaged before its tail.
    public func loadLatest(warn: (String) -> Void = { _ in }) throws(SnapshotError) -> LoadedSnapshot? {
        var firstError: SnapshotError?
        for generation in generations() {
            let path = path(ofGeneration: generation)
            let loaded: LoadedSnapshot
            do {
                loaded = try SnapshotReader.read(path: path)
            } catch {
                warn("leanstats: \(error)")
                if firstError == nil { firstError = error }
                continue
            }
            if firstError != nil {
                warn("leanstats: using the older snapshot \(path) instead")
            }
            return try withJournals(
                LoadedSnapshot(
                    table: loaded.table,
                    generation: generation,
                    path: path,
                    metadata: loaded.metadata,
                    createdAt: loaded.createdAt,
                    fileSize: loaded.fileSize,
                    columns: loaded.columns
                )
            )
        }
        if let firstError {
            var error = firstError
            error.message += "; no generation in \(directory) could be read — restore a backup or re-import"
            throw error
        }
        guard FileManager.default.fileExists(atPath: journalPath(ofGeneration: 0)) else { return nil }
        return try withJournals(emptyBase())
    }

    /// Reads one snapshot file, verifying every checksum; columns the statistics do not read decode on first use.
    public func read(path: String) throws(SnapshotError) -> LoadedSnapshot {
        try read(path: path, loading: .whenUsed)
    }

    /// Reads one snapshot file and decodes and validates every column, for `snapshot verify`.
    /// - Throws: ``SnapshotError`` naming the first damage, including damage only decoding reveals.
    public func verify(path: String) throws(SnapshotError) -> LoadedSnapshot {
        try read(path: path, loading: .all)
    }

    private func read(path: String, loading: ColumnLoading) throws(SnapshotError) -> LoadedSnapshot {
        let loaded = try SnapshotReader.read(path: path, loading: loading)
        return LoadedSnapshot(
            table: loaded.table,
            generation: loaded.generation,
            path: path,
            metadata: loaded.metadata,
            createdAt: loaded.createdAt,
            fileSize: loaded.fileSize,
            columns: loaded.columns
        )
    }

    /// Writes `table` as the next generation and removes generations older than the previous one.
    ///
    /// The next generation is above every snapshot and every journal, so journals written before it are never
    /// replayed on top of it (docs/journal-format.md); `table` should hold what ``loadLatest(warn:)`` gave plus the
    /// caller's changes.
    /// - Returns: the new generation number.
    /// - Throws: ``SnapshotError``; on failure the existing generations are untouched and the temporary file removed.
    @discardableResult
    public func write(_ table: InstanceTable, metadata: [String: String] = [:]) throws(SnapshotError) -> Int {
        let generation = max(generations().first ?? 0, journalGenerations().last ?? 0) + 1
        try write(table, metadata: metadata, generation: generation)
        return generation
    }

    /// Writes `table` as generation `generation`, then removes the generations (and journals) older than the
    /// previous one.
    func write(_ table: InstanceTable, metadata: [String: String], generation: Int) throws(SnapshotError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SnapshotError(
                .io,
                message:
                    "cannot create the data directory \(directory): \(error.localizedDescription); choose another with --data"
            )
        }
        removeStaleTemporaries()
        let final = path(ofGeneration: generation)
        let temporary = "\(directory)/.snapshot-\(generation).\(getpid()).tmp"
        do {
            var writer = try SnapshotWriter(creating: temporary)
            try writer.write(table: table, generation: generation, metadata: metadata)
            try DurableFile.publish(temporary, as: final)
        } catch {
            unlink(temporary)
            if let error = error as? SnapshotError { throw error }
            throw SnapshotError(.io, message: "\(error)", file: final)
        }
        let kept = generations()
        for old in kept.dropFirst(Self.keptGenerations) {
            unlink(path(ofGeneration: old))
        }
        if let oldest = kept.prefix(Self.keptGenerations).last {
            for journal in journalGenerations() where journal < oldest {
                unlink(journalPath(ofGeneration: journal))
            }
        }
    }

    /// Removes temporary files left behind by a writer that was killed.
    private func removeStaleTemporaries() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names
        where (name.hasPrefix(".snapshot-") || name.hasPrefix("journal-")) && name.hasSuffix(".tmp") {
            unlink("\(directory)/\(name)")
        }
    }

    /// Takes the data directory's writer lock (`leanstats.lock`), failing at once when another process holds it.
    /// - Throws: ``SnapshotError`` with code `.locked` naming the other process.
    public func lockForWriting(_ purpose: String) throws(SnapshotError) -> StoreLock {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SnapshotError(
                .io,
                message: "cannot create the data directory \(directory): \(error.localizedDescription)"
            )
        }
        return try StoreLock(path: "\(directory)/leanstats.lock", purpose: purpose)
    }
}

/// An exclusive advisory lock (`flock`) on the data directory, released when the object goes away.
public final class StoreLock: @unchecked Sendable {
    private let descriptor: Int32

    init(path: String, purpose: String) throws(SnapshotError) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0 { throw DurableFile.failure("cannot open the lock file", path) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = pread(descriptor, &buffer, 255, 0)
            let holder =
                count > 0
                ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                : "another process"
            close(descriptor)
            throw SnapshotError(
                .locked,
                message:
                    "the data directory is in use by \(holder); wait for it to finish or use another --data directory",
                file: path
            )
        }
        let note = Array("pid \(getpid()) (\(purpose))\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, note, note.count, 0)
    }

    /// Releases the lock.
    deinit {
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
