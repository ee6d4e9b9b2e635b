import ArgumentParser
import Foundation
import LeanStatsCore
import LeanStatsQuery

extension OutputFormat: ExpressibleByArgument {}

/// `leanstats query "LINE"`: runs one line of the query language.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run one line of the query language and print the result.",
        discussion: """
            Forms: overview [METRICS] PERIOD | by DIM METRICS PERIOD | top N PERIOD | efficiency PERIOD | \
            trend PERIOD | list PERIOD [limit N] | describe, each with an optional filter: \
            `where dept in (生产部, 质量部) and status=审批中 or category=安全改善`, also user=, result=. \
            Periods: 2025-11, 2025-Q4, 2025-H1, 2025, 2025-01..2025-06, last-month, all. \
            The whole language: docs/query-language.md.
            Example: leanstats query "by dept count,pass_rate 2025-11 vs prev"
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Output format: table, csv, json or jsonl.")
    var format: OutputFormat = .table

    @Flag(name: .long, help: "Start CSV output with a UTF-8 byte order mark (for Excel).")
    var bom = false

    @Argument(help: "The query, e.g. \"by dept pass_rate 2025-11\".")
    var line: String

    func run() throws {
        try reportingErrors {
            // A line that does not parse is refused before the store is loaded; values are checked against it.
            let stream: ResultStream
            do {
                _ = try Query(parsing: line)
                stream = try store.executor(answeringOnce: true).stream(line)
            } catch let error as QueryError {
                printError(error.rendered(line: line))
                throw ExitCode.failure
            }
            // A `list` is written a chunk of rows at a time, so ten million rows never sit in memory as text.
            let output = FileHandle.standardOutput
            _ = try format.formatter(csvByteOrderMark: bom).write(
                stream,
                isCancelled: { false },
                emit: { try output.write(contentsOf: Data($0.utf8)) }
            )
            for warning in stream.warnings { printError("warning: \(warning)") }
        }
    }
}
