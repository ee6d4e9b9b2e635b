import ArgumentParser
import Foundation
import LeanStatsCore

/// `leanstats gen`: a deterministic synthetic history written straight into a store.
struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Write a deterministic synthetic history into a store (for demos and benchmarks)."
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Number of instances.")
    var rows: Int

    @Option(name: .long, help: "Random seed; the same seed gives the same history.")
    var seed: UInt64 = 1

    @Option(
        name: .long,
        help: "Last month of the history (YYYY-MM); it starts five years earlier unless --from is given."
    )
    var to: String = "2025-11"

    @Option(name: .long, help: "First month of the history (YYYY-MM).")
    var from: String?

    @Flag(name: .long, help: "Replace the data of a store that is not empty.")
    var replace = false

    func validate() throws {
        if rows < 0 { throw ValidationError("--rows must be 0 or more") }
        if parseMonth(to) == nil { throw ValidationError("--to must be a month like 2025-11") }
        if let from, parseMonth(from) == nil { throw ValidationError("--from must be a month like 2020-12") }
    }

    func run() throws {
        try reportingErrors {
            let clock = try store.clock()
            let lock = try store.store.lockForWriting("gen")
            defer { withExtendedLifetime(lock) {} }
            if !replace, let existing = try store.load(requireData: false), existing.table.rowCount > 0 {
                throw CommandFailure(
                    "\(store.directory) already holds \(existing.table.rowCount) instances; add --replace to overwrite them or choose another --data"
                )
            }
            let history = SyntheticHistory(
                rows: rows,
                seed: seed,
                firstMonth: from.flatMap(parseMonth),
                lastMonth: parseMonth(to)!
            )
            let table = history.table(clock: clock)
            let generation = try store.store.write(table)
            print("generated \(table.rowCount) instances into \(store.store.path(ofGeneration: generation))")
        }
    }
}

/// Parses `YYYY-MM` into the first day of that month.
func parseMonth(_ text: String) -> CivilDate? {
    let parts = text.split(separator: "-")
    guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
        let month = Int(parts[1]),
        (1...12).contains(month)
    else { return nil }
    return CivilDate(year: year, month: month, day: 1)
}
