import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsImport
import LeanStatsQuery

/// `leanstats demo`: the main job on the bundled sample — import `Data/`, then the overview and the department
/// table of the latest month.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Import the bundled sample (Data/) into a fresh store and print the latest month's statistics."
    )

    @Option(name: .long, help: "The sample directory holding the two MySQL table exports.")
    var sample: String = "Data"

    @Option(name: .long, help: "Where to build the demo store (default: a new temporary directory).")
    var data: String?

    @Option(name: .long, help: "The time zone that defines days and months.")
    var tz: String = "Asia/Shanghai"

    func run() throws {
        try reportingErrors {
            let files = [MySQLExport.instancesFile, MySQLExport.formValuesFile].map { "\(sample)/\($0)" }
            for file in files where !FileManager.default.fileExists(atPath: file) {
                throw CommandFailure(
                    "the sample file \(file) is missing; run the demo from the repository root or pass --sample DIR"
                )
            }
            let directory = data ?? FileManager.default.temporaryDirectory.path + "/leanstats-demo-\(getpid())"
            let options = try StoreOptions.parse(["--data", directory, "--tz", tz])
            if let existing = try options.load(requireData: false), existing.table.rowCount > 0 {
                throw CommandFailure("\(directory) already holds data; the demo needs an empty directory")
            }
            printError("leanstats: " + (try importFiles(files, options: options, skipBad: false)))
            let engine = try options.engine()
            guard let last = engine.table.createTimeBounds?.upperBound else {
                throw CommandFailure("the sample in \(sample) holds no instances")
            }
            let month = engine.clock.date(at: last).monthText
            let executor = QueryExecutor(engine: engine)
            for line in ["overview \(month)", "by dept count,passed,pass_rate,participants,avg_days \(month)"] {
                print("> \(line)")
                print(OutputFormat.table.render(try executor.run(line)))
            }
            print("The store is in \(directory). Try: leanstats query --data \(directory) \"trend all\"")
        }
    }
}
