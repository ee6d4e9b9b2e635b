import ArgumentParser
import LeanStatsImport

/// `leanstats export csv --out DIR`: the store as the original system's two MySQL tables.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the store in formats other tools load.",
        subcommands: [CSV.self]
    )

    /// The two MySQL tables of `docs/import-formats.md` §2 as CSV.
    struct CSV: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csv",
            abstract: "Write ding_process_instances.csv and ding_form_component_values.csv (docs/import-formats.md §2)."
        )

        @OptionGroup var store: StoreOptions

        @Option(name: .long, help: "The output directory.")
        var out: String

        func run() throws {
            try reportingErrors {
                let loaded = try store.load()!
                let written = try MySQLExport(clock: try store.clock()).write(loaded.table, to: out)
                print("wrote \(written.instances) instances and \(written.formValues) form values to \(out)")
            }
        }
    }
}
