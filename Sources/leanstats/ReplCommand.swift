import ArgumentParser
import Foundation

/// `leanstats repl`: one query per line, with sqlite-style dot commands.
///
/// On a terminal it edits lines with libedit (``LineEditor``): history in `~/.leanstats_history`, Tab completion,
/// Ctrl-C to drop the line, Ctrl-D to leave. When stdin is not a terminal it reads one line at a time and prints each
/// result, with no prompt and no banner, so `leanstats repl < queries.txt` and pipes work; an error names its line
/// (`line 3: …`), every line still runs, and the exit status is 1 when any line failed or stdin could not be read.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Interactive query shell; reads one query per line from a pipe too.",
        discussion: """
            Dot commands: .help, .mode table|csv|json|jsonl|markdown, .timer on|off, .bom on|off, .output [FILE], \
            .read FILE, .reload, .quit. History is kept in $LEANSTATS_HISTORY (default ~/.leanstats_history; \
            empty for none).
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Initial output mode: table, csv, json, jsonl or markdown.")
    var format: ReplMode = .table

    @Flag(name: .long, help: "Start CSV output with a UTF-8 byte order mark (for Excel).")
    var bom = false

    /// The prompt on a terminal.
    static let prompt = "leanstats> "

    func run() throws {
        try reportingErrors {
            let session = ReplSession(store: store, mode: format, byteOrderMark: bom)
            try session.reload()
            if stdinIsTerminal,
                let editor = LineEditor(
                    prompt: Self.prompt,
                    historyFile: HistoryFile.standard(),
                    completion: { session.completer.edit(for: $0) }
                )
            {
                runInteractively(session, editor: editor)
            } else {
                try runFromPipe(session)
            }
        }
    }

    /// The terminal loop: banner, prompt, history; Ctrl-C drops the line, Ctrl-D or `.quit` ends.
    private func runInteractively(_ session: ReplSession, editor: LineEditor) {
        ReplInterrupt.install()
        session.note("LeanStats — \(session.rowCount) instances. Type .help for help, Tab to complete, .quit to leave.")
        while true {
            switch editor.readLine() {
            case .interrupted:
                continue
            case .end:
                editor.write("\n")
                return
            case .line(let line):
                editor.remember(line)
                if session.handle(line) == .quit { return }
            }
        }
    }

    /// The pipe loop: each line as soon as it arrives, no prompt, no banner.
    /// - Throws: ``CommandFailure`` when stdin cannot be read.
    /// Every line runs, even after one fails; errors name the line (`line 3: …`), and the exit status is 1 when
    /// any line failed, after a summary line naming them.
    /// - Throws: ``CommandFailure`` when stdin cannot be read; `ExitCode.failure` when a line failed.
    private func runFromPipe(_ session: ReplSession) throws {
        var reader = LineReader(descriptor: STDIN_FILENO)
        var lineNumber = 0
        do {
            while let line = try reader.next() {
                lineNumber += 1
                if session.handle(line, at: "line \(lineNumber)") == .quit { break }
            }
        } catch {
            throw CommandFailure("cannot read standard input: \(error)")
        }
        let failed = session.failedLines
        guard !failed.isEmpty else { return }
        let shown = failed.prefix(10).joined(separator: ", ") + (failed.count > 10 ? ", …" : "")
        session.note("leanstats repl: \(failed.count) of \(lineNumber) lines failed (\(shown))")
        throw ExitCode.failure
    }
}
