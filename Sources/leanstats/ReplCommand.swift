import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsQuery

/// `leanstats repl`: one query per line, with sqlite-style dot commands.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Interactive query shell; reads one query per line from a pipe too.",
        discussion:
            "Dot commands: .help, .mode table|csv|json|jsonl, .timer on|off, .output FILE, .read FILE, .reload, .quit"
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Initial output mode: table, csv, json or jsonl.")
    var format: OutputFormat = .table

    @Flag(name: .long, help: "Start CSV output with a UTF-8 byte order mark.")
    var bom = false

    func run() throws {
        try reportingErrors {
            var session = ReplSession(store: store, mode: format, bom: bom)
            try session.reload()
            let interactive = stdinIsTerminal
            if interactive {
                printError("LeanStats — \(session.rowCount) instances. Type .help for help, .quit to leave.")
            }
            while true {
                if interactive {
                    FileHandle.standardError.write(Data("leanstats> ".utf8))
                }
                guard let line = readLine() else { break }
                if !session.handle(line) { break }
            }
        }
    }
}

/// The state of one REPL: the loaded engine, output mode, timer and output target.
struct ReplSession {
    let store: StoreOptions
    var mode: OutputFormat
    var bom: Bool
    var timer = false
    var output: FileHandle = .standardOutput
    private var executor: QueryExecutor?

    init(store: StoreOptions, mode: OutputFormat, bom: Bool) {
        self.store = store
        self.mode = mode
        self.bom = bom
    }

    var rowCount: Int { executor?.engine.table.rowCount ?? 0 }

    /// Loads (or reloads) the newest snapshot.
    mutating func reload() throws {
        executor = QueryExecutor(engine: try store.engine())
    }

    /// Handles one input line. - Returns: `false` when the session should end.
    mutating func handle(_ rawLine: String) -> Bool {
        let line = rawLine.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("--") || line.hasPrefix("#") { return true }
        if line.hasPrefix(".") { return command(line) }
        guard let executor else { return true }
        let started = ContinuousClock.now
        do {
            let result = try executor.run(line)
            let text = mode.formatter(csvByteOrderMark: bom).render(result)
            let elapsed = ContinuousClock.now - started
            write(text)
            if timer {
                let milliseconds =
                    Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                printError(String(format: "time: %.3f ms", milliseconds))
            }
        } catch {
            printError(error.rendered(line: line))
        }
        return true
    }

    private func write(_ text: String) {
        output.write(Data(text.utf8))
    }

    private mutating func command(_ line: String) -> Bool {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch parts[0] {
        case ".quit", ".exit":
            return false
        case ".help":
            printError(
                """
                Queries: overview PERIOD | by DIM METRICS PERIOD | top N PERIOD | efficiency PERIOD | trend PERIOD
                         [where dept=… and category=… and status=…] [order by METRIC asc|desc] [limit N]
                .mode table|csv|json|jsonl   output format
                .timer on|off                print the time of each query on stderr
                .output FILE | .output       send results to a file, or back to the screen
                .read FILE                   run the queries in a file
                .reload                      load the newest snapshot
                .quit                        leave
                """
            )
        case ".mode":
            if let mode = OutputFormat(rawValue: argument) {
                self.mode = mode
            } else {
                printError("error: .mode takes table, csv, json or jsonl")
            }
        case ".timer":
            switch argument {
            case "on": timer = true
            case "off": timer = false
            default: printError("error: .timer takes on or off")
            }
        case ".output":
            if argument.isEmpty {
                output = .standardOutput
            } else if FileManager.default.createFile(atPath: argument, contents: nil),
                let handle = FileHandle(forWritingAtPath: argument)
            {
                output = handle
            } else {
                printError("error: cannot write \(argument)")
            }
        case ".read":
            guard let text = try? String(contentsOfFile: argument, encoding: .utf8) else {
                printError("error: cannot read \(argument)")
                return true
            }
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !handle(String(line)) {
                return false
            }
        case ".reload":
            do {
                try reload()
                printError("loaded \(rowCount) instances")
            } catch {
                printError("error: \(error)")
            }
        default:
            printError("error: unknown command \(parts[0]); type .help")
        }
        return true
    }
}
