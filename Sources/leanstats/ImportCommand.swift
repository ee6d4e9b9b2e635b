import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsImport
import LeanStatsSnapshot

/// `leanstats import FILE...`: loads history files into the store in one atomic step.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load history: DingTalk instance JSON/JSONL, or CSV/TSV exports of the old MySQL tables.",
        discussion: """
            Give both MySQL tables (ding_process_instances and ding_form_component_values) in one command; they are \
            joined on business_id. A later copy of an instance replaces the earlier one. A bad row is reported as \
            file:line: reason and, without --skip-bad, nothing is changed.
            """
    )

    @OptionGroup var store: StoreOptions

    @Flag(name: .long, help: "Load the good rows and report how many bad rows were skipped.")
    var skipBad = false

    @Argument(help: "The files to import.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to import") }
    }

    func run() throws {
        try reportingErrors {
            let summary = try importFiles(files, options: store, skipBad: skipBad)
            print(summary)
        }
    }
}

/// Reads `files` and upserts their instances into the store under the writer lock; shared by `import` and `demo`.
/// - Returns: a one-line summary of what changed.
func importFiles(_ files: [String], options: StoreOptions, skipBad: Bool) throws -> String {
    FreedMemory.tuneAllocatorForBulkWork()
    let clock = try options.clock()
    let lock = try options.store.lockForWriting("import")
    defer { withExtendedLifetime(lock) {} }
    var timer = PhaseTimer()
    let existing = try options.load(requireData: false)
    timer.lap("load store")
    let showProgress = stderrIsTerminal
    let batch = try ImportReader(clock: clock).read(paths: files) { file, done, total in
        guard showProgress, total > 8 << 20 else { return }
        let percent = total == 0 ? 100 : done * 100 / total
        FileHandle.standardError.write(Data("\rimporting \(file): \(percent)% of \(formatBytes(total))\u{1B}[K".utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
    timer = PhaseTimer()
    if !batch.issues.isEmpty {
        for issue in batch.issues.prefix(20) { printError(issue.description) }
        if batch.issues.count > 20 { printError("… and \(batch.issues.count - 20) more bad rows") }
        if !skipBad {
            throw CommandFailure(
                "import stopped: \(batch.issues.count) bad row\(batch.issues.count == 1 ? "" : "s"); nothing was changed (fix the rows or use --skip-bad)"
            )
        }
    }
    if batch.orphanFormValues > 0 {
        printError(
            "leanstats: \(batch.orphanFormValues) form values name a business_id that is not among the imported instances; they were ignored"
        )
    }
    let (table, counts) = (existing?.table ?? .empty).upserting(batch.rows)
    timer.lap("upsert")
    var summary =
        "imported \(batch.rows.rowCount) instances from \(files.count) file\(files.count == 1 ? "" : "s"): "
        + "\(counts.inserted) new, \(counts.updated) updated, \(counts.unchanged) unchanged"
    if !batch.issues.isEmpty { summary += "; skipped \(batch.issues.count) bad rows" }
    if counts.inserted + counts.updated == 0 {
        return summary + "; the store is unchanged"
    }
    let generation = try options.store.write(table, metadata: existing?.metadata ?? [:])
    timer.lap("write snapshot")
    return summary + "; \(table.rowCount) instances in \(options.store.path(ofGeneration: generation))"
}
