import Foundation
import LeanStatsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far a reader has replayed the journals on top of its snapshot.
public struct JournalPosition: Sendable, Equatable {
    /// The generation of the last journal of the chain: the one a writer appends to.
    public let generation: Int
    /// The bytes of that journal replayed (0 when it does not exist yet).
    public let offset: Int
    /// The records replayed from the whole chain.
    public let records: Int
    /// The bytes of the whole chain replayed.
    public let bytes: Int
}

extension SnapshotStore {
    /// The path of the journal on top of generation `generation` (`journal-00000042.lsj`; generation 0 is the
    /// empty store).
    public func journalPath(ofGeneration generation: Int) -> String {
        let digits = String(generation)
        return
            "\(directory)/journal-\(String(repeating: "0", count: max(0, 8 - digits.count)))\(digits).\(JournalLayout.fileExtension)"
    }

    /// The generations that have a journal, oldest first.
    public func journalGenerations() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let suffix = "." + JournalLayout.fileExtension
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("journal-"), name.hasSuffix(suffix) else { return nil }
            return Int(name.dropFirst("journal-".count).dropLast(suffix.count))
        }.sorted()
    }

    /// The loaded snapshot with every journal of its chain replayed: `journal-<g>.lsj`, `journal-<g+1>.lsj`, … for
    /// as long as they exist.
    /// - Parameter loaded: A snapshot read from this store (or the empty generation 0).
    /// - Returns: The snapshot's data and metadata with the journaled changes applied, and ``LoadedSnapshot/journal``
    ///   set.
    /// - Throws: ``SnapshotError`` when a journal is damaged anywhere but in its torn tail.
    public func withJournals(_ loaded: LoadedSnapshot) throws(SnapshotError) -> LoadedSnapshot {
        var replayed = loaded
        replayed.journal = JournalPosition(generation: loaded.generation, offset: 0, records: 0, bytes: 0)
        return try advance(replayed) ?? replayed
    }

    /// The loaded snapshot with the journal records appended since it was loaded applied, for a reader that follows
    /// a writer in another process.
    /// - Parameter loaded: What ``loadLatest(warn:)``, ``withJournals(_:)`` or an earlier call returned.
    /// - Returns: `nil` when nothing was appended since.
    /// - Throws: ``SnapshotError`` when a journal is damaged anywhere but in its torn tail.
    /// - Complexity: Two `stat` calls when nothing changed; otherwise reading the new bytes and one upsert of the
    ///   new records into the table (O(n) for n rows).
    public func advance(_ loaded: LoadedSnapshot) throws(SnapshotError) -> LoadedSnapshot? {
        guard let position = loaded.journal else { return nil }
        var generation = position.generation
        var offset = position.offset
        var entries: [JournalEntry] = []
        var bytes = position.bytes
        while true {
            // A next journal exists only once this one is final, so looking before reading misses nothing.
            let hasNext = Self.fileSize(journalPath(ofGeneration: generation + 1)) != nil
            let path = journalPath(ofGeneration: generation)
            if let size = Self.fileSize(path), size > max(offset, JournalLayout.headerSize) || offset == 0 {
                let contents = try JournalReader.read(path: path, from: offset, base: generation)
                entries += contents.entries
                bytes += contents.validEnd - max(offset, 0)
                offset = contents.validEnd
            }
            guard hasNext else { break }
            generation += 1
            offset = 0
        }
        if entries.isEmpty && generation == position.generation && offset == position.offset { return nil }
        let (table, metadata, records) = Self.applying(entries, to: loaded.table, metadata: loaded.metadata)
        var advanced = LoadedSnapshot(
            table: table,
            generation: loaded.generation,
            path: loaded.path,
            metadata: metadata,
            createdAt: loaded.createdAt,
            fileSize: loaded.fileSize,
            columns: loaded.columns
        )
        advanced.journal = JournalPosition(
            generation: generation,
            offset: offset,
            records: position.records + records,
            bytes: bytes
        )
        return advanced
    }

    /// Reads every journal of the store and checks it, for `snapshot verify`.
    /// - Returns: Per journal: its path and the records and bytes it holds, or the error it gave.
    public func verifyJournals() -> [(path: String, outcome: Result<(records: Int, bytes: Int), SnapshotError>)] {
        journalGenerations().map { generation in
            let path = journalPath(ofGeneration: generation)
            do throws(SnapshotError) {
                let contents = try JournalReader.read(path: path, base: generation)
                if contents.validEnd < contents.fileSize {
                    return (
                        path,
                        .failure(
                            SnapshotError(
                                .truncated,
                                message:
                                    "the journal ends in a torn record of \(contents.fileSize - contents.validEnd) "
                                    + "bytes (a write that was never acknowledged); the next writer cuts it off",
                                file: path,
                                offset: contents.validEnd
                            )
                        )
                    )
                }
                return (path, .success((contents.entries.count, contents.fileSize)))
            } catch {
                return (path, .failure(error))
            }
        }
    }

    /// The empty generation 0 a store without snapshots starts from.
    func emptyBase() -> LoadedSnapshot {
        LoadedSnapshot(
            table: .empty,
            generation: 0,
            path: journalPath(ofGeneration: 0),
            metadata: [:],
            createdAt: Int64(Date().timeIntervalSince1970),
            fileSize: 0,
            columns: []
        )
    }

    /// The table and metadata with `entries` applied in order, and how many instance records they held.
    /// - Complexity: O(r) to collect r records, then one ``InstanceTable/upserting(_:sharingIndexes:)``: a copy of
    ///   the changed columns for a few records, O(n + r) merging otherwise; each run of removals adds one upsert of
    ///   the records before it and one O(n) pass.
    static func applying(
        _ entries: [JournalEntry],
        to table: InstanceTable,
        metadata: [String: String]
    ) -> (table: InstanceTable, metadata: [String: String], records: Int) {
        var table = table
        var metadata = metadata
        var builder = InstanceTableBuilder()
        var records = 0
        func upsertCollected() {
            guard builder.rowCount > 0 else { return }
            table = table.upserting(builder.build()).table
            builder = InstanceTableBuilder()
        }
        for entry in entries {
            switch entry {
            case .records(let batch):
                for record in batch { builder.upsert(record) }
                records += batch.count
            case .metadata(let values):
                metadata.merge(values) { _, new in new }
            case .removals(let ids):
                // Records journaled before a removal are upserted first, so a removal takes out what they added.
                upsertCollected()
                let index = InstanceIndex(table: table)
                table = table.removing(rows: ids.compactMap(index.row(of:)))
            }
        }
        upsertCollected()
        return (table, metadata, records)
    }

    /// A file's size, `nil` when it does not exist.
    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}
