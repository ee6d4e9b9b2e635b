import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsSnapshot

/// `leanstats snapshot verify|info`.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Check and describe snapshot files.",
        subcommands: [Verify.self, Info.self]
    )

    /// Verifies every generation's checksums and structure, decoding every column.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify every snapshot and journal file; exit status 1 when any is damaged."
        )

        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingErrors {
                let generations = store.store.generations()
                let journals = store.store.verifyJournals()
                if generations.isEmpty && journals.isEmpty {
                    throw CommandFailure("no snapshot files in \(store.directory)")
                }
                var damaged = 0
                for generation in generations {
                    let path = store.store.path(ofGeneration: generation)
                    do {
                        let loaded = try store.store.verify(path: path)
                        print("ok       \(path)  \(loaded.table.rowCount) instances, \(formatBytes(loaded.fileSize))")
                    } catch {
                        damaged += 1
                        print("DAMAGED  \(path)  \(error)")
                    }
                }
                var torn = 0
                var damagedJournals = 0
                for (path, outcome) in journals {
                    switch outcome {
                    case .success(let contents):
                        print("ok       \(path)  \(contents.records) records, \(formatBytes(contents.bytes))")
                    case .failure(let error) where error.code == .truncated:
                        torn += 1
                        print("TORN     \(path)  \(error)")
                    case .failure(let error):
                        damagedJournals += 1
                        print("DAMAGED  \(path)  \(error)")
                    }
                }
                if damaged > 0 {
                    throw CommandFailure(
                        "\(damaged) of \(generations.count) snapshot files are damaged; the newest good one is used"
                    )
                }
                if damagedJournals > 0 {
                    throw CommandFailure(
                        "\(damagedJournals) journal files are damaged before their end; readers refuse the store "
                            + "until the journal is restored or moved aside"
                    )
                }
                if torn > 0 {
                    printError(
                        "leanstats: \(torn) journal(s) end in a torn record that was never acknowledged; readers "
                            + "ignore it and the next writer cuts it off"
                    )
                }
            }
        }
    }

    /// Describes the newest good snapshot.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rows, columns, sizes, compression and time range.")

        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingErrors {
                let loaded = try store.load()!
                let clock = try store.clock()
                let table = loaded.table
                let raw = loaded.columns.reduce(0) { $0 + $1.rawBytes }
                let stored = loaded.columns.reduce(0) { $0 + $1.storedBytes }
                print("file:        \(loaded.path)")
                print("generation:  \(loaded.generation)")
                print("written:     \(clock.format(loaded.createdAt)) (\(clock.identifier))")
                print("instances:   \(table.rowCount)")
                if let bounds = table.createTimeBounds {
                    print("created:     \(clock.format(bounds.lowerBound)) … \(clock.format(bounds.upperBound))")
                }
                print("form fields: \(table.formFields.map(\.name).joined(separator: ", "))")
                print(
                    "size:        \(formatBytes(loaded.fileSize)) on disk, \(formatBytes(raw)) decoded, ratio \(String(format: "%.1f", Double(raw) / Double(max(stored, 1))))×"
                )
                if table.rowCount > 0 {
                    print("per 1M:      \(formatBytes(loaded.fileSize * 1_000_000 / table.rowCount)) on disk")
                }
                print("")
                let rows = loaded.columns.map { column -> [ResultValue] in
                    [
                        .string(column.name), .string(column.kind), .string(formatBytes(column.storedBytes)),
                        .string(formatBytes(column.rawBytes)),
                        .double(Double(column.rawBytes) / Double(max(column.storedBytes, 1))),
                    ]
                }
                print(
                    TableFormatter().render(
                        ResultTable(columns: ["column", "kind", "stored", "decoded", "ratio"], rows: rows)
                    ),
                    terminator: ""
                )
            }
        }
    }
}
