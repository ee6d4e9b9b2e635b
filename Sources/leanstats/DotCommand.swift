/// A REPL command that starts with a dot, in the style of the sqlite3 and duckdb shells.
///
/// The cases are the single list that dispatch, `.help` and Tab completion read.
enum DotCommand: String, CaseIterable {
    /// `.help`: the query words and the dot commands.
    case help
    /// `.mode NAME`: how results are printed; without a name, the current mode.
    case mode
    /// `.timer on|off`: the `time: N ms` line on stderr after each query.
    case timer
    /// `.bom on|off`: a UTF-8 byte order mark at the start of CSV output.
    case bom
    /// `.output FILE`: results into a file; `.output` alone: back to stdout.
    case output
    /// `.read FILE`: run the lines of a file.
    case read
    /// `.reload`: load the newest snapshot.
    case reload
    /// `.quit` or `.exit`: end the session.
    case quit

    /// The command as typed: `.help`.
    var name: String { "." + rawValue }

    /// The command named `name` (`.exit` is `.quit`), or `nil`.
    init?(name: String) {
        let word = name.lowercased()
        if word == ".exit" {
            self = .quit
            return
        }
        guard word.hasPrefix("."), let command = DotCommand(rawValue: String(word.dropFirst())) else { return nil }
        self = command
    }

    /// How the command is written, arguments included.
    var usage: String {
        switch self {
        case .help, .reload, .quit: name
        case .mode: ".mode " + ReplMode.allCases.map(\.description).joined(separator: "|")
        case .timer, .bom: name + " on|off"
        case .output: ".output [FILE]"
        case .read: ".read FILE"
        }
    }

    /// What the command does, in a few words.
    var summary: String {
        switch self {
        case .help: "show this text"
        case .mode: "how results are printed"
        case .timer: "print each query's time on stderr"
        case .bom: "start CSV output with a UTF-8 byte order mark (for Excel)"
        case .output: "send results to FILE, or back to stdout"
        case .read: "run the queries and dot commands in FILE"
        case .reload: "load the newest snapshot of the store"
        case .quit: "leave (also .exit and Ctrl-D)"
        }
    }

    /// The `.help` text: the query words from ``ReplVocabulary`` and one line per dot command.
    static var helpText: String {
        let width = allCases.map(\.usage.count).max() ?? 0
        let commands = allCases.map { command in
            "  " + command.usage + String(repeating: " ", count: width - command.usage.count + 2) + command.summary
        }
        return
            ([
                "Queries, one per line (Tab completes words and department and category names):",
                "  verbs:       " + ReplVocabulary.verbs.joined(separator: " "),
                "  dimensions:  " + ReplVocabulary.dimensions.joined(separator: " "),
                "  metrics:     " + ReplVocabulary.metrics.joined(separator: " "),
                "  keywords:    " + ReplVocabulary.keywords.joined(separator: " "),
                "  filters:     " + ReplVocabulary.filterKeys.map { $0 + "=…" }.joined(separator: " "),
                "  example:     by dept count,pass_rate 2025-11 where category=安全改善 order by pass_rate desc",
                "Dot commands:",
            ] + commands).joined(separator: "\n")
    }
}
