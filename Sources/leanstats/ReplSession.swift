import Foundation
import LeanStatsCore
import LeanStatsQuery

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state of one REPL: the loaded engine, the output mode and target, the timer; runs queries and dot commands.
///
/// Results go to the output target (stdout, or the file of `.output`); everything else — errors, `.help`, the
/// timer — goes to stderr. Only the timer line ends in `ms` there (SPEC §2): every other line is written
/// through ``note(_:)``, which marks the end of a line that would otherwise end in `ms` (an echoed query, say).
final class ReplSession {
    /// What the caller does after a line.
    enum Outcome {
        /// Read the next line.
        case proceed
        /// End the session (`.quit`).
        case quit
    }

    /// Where the store is and how to read it.
    let store: StoreOptions
    /// How results are printed.
    private(set) var mode: ReplMode
    /// Whether CSV output starts with a UTF-8 byte order mark.
    private(set) var byteOrderMark: Bool
    /// Whether each query is followed by a `time: N ms` line on stderr.
    private(set) var timer = false
    /// The completer over the loaded store's department and category names.
    private(set) var completer = ReplCompleter(departments: [], categories: [])
    private var executor: QueryExecutor?
    /// Standard output, which stays open for the whole session.
    private var standardOutput = OutputTarget(handle: .standardOutput, name: "stdout")
    /// The file of `.output FILE`, when results go there instead.
    private var file: OutputTarget?
    private var readDepth = 0

    /// The deepest `.read` nesting, which stops a file that reads itself.
    static let maximumReadDepth = 16

    /// Creates a session; call ``reload()`` before the first query.
    /// - Parameters:
    ///   - store: the store options of the command line.
    ///   - mode: the initial output mode.
    ///   - byteOrderMark: whether CSV output starts with a byte order mark.
    init(store: StoreOptions, mode: ReplMode, byteOrderMark: Bool) {
        self.store = store
        self.mode = mode
        self.byteOrderMark = byteOrderMark
    }

    /// The number of instances in the loaded snapshot.
    var rowCount: Int { executor?.engine.table.rowCount ?? 0 }

    /// Loads (or reloads) the newest snapshot and the names that Tab completes.
    /// - Throws: when the store is empty or unreadable; the session keeps what it had.
    func reload() throws {
        let loaded = try store.executor()
        let engine = loaded.engine
        executor = loaded
        // The indexes build while the analyst types, so even the first query is answered from them.
        DispatchQueue.global(qos: .utility).async { engine.prepareIndexes() }
        completer = ReplCompleter(
            departments: Self.names(in: engine.table.deptName.dictionary),
            categories: engine.table.category.map { Self.names(in: $0.dictionary) } ?? []
        )
    }

    /// Every entry of a dictionary, in UTF-8 byte order.
    private static func names(in dictionary: StringDictionary) -> [String] {
        (1..<max(dictionary.count, 1)).compactMap { dictionary[UInt32($0)] }.sorted {
            $0.utf8.lexicographicallyPrecedes($1.utf8)
        }
    }

    /// Handles one input line: a query, a dot command, a comment (`--`, `#`) or nothing.
    /// - Parameter rawLine: the line as read.
    /// - Returns: whether to go on.
    func handle(_ rawLine: String) -> Outcome {
        let line = rawLine.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("--") || line.hasPrefix("#") { return .proceed }
        if line.hasPrefix(".") { return command(line) }
        run(line)
        return .proceed
    }

    /// Runs one query and prints its result, and the time it took when the timer is on.
    private func run(_ line: String) {
        guard let executor else { return }
        let started = ContinuousClock.now
        let result: ResultTable
        let text: String
        do {
            result = try executor.run(line)
            text = mode.formatter.render(result)
        } catch {
            note(Self.describe(error, line: line))
            return
        }
        let elapsed = ContinuousClock.now - started
        write(text)
        for warning in result.warnings { note("warning: \(warning)") }
        if timer { printError(Self.timerLine(elapsed)) }
    }

    /// The timer line: `time: 1.234 ms`, always with a `.` and three decimals whatever the locale.
    static func timerLine(_ elapsed: Duration) -> String {
        let (seconds, attoseconds) = elapsed.components
        let microseconds = seconds * 1_000_000 + (attoseconds + 500_000_000_000) / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        return "time: \(microseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) ms"
    }

    /// A query error with the line and a caret under the word; anything else as one line.
    private static func describe(_ error: any Error, line: String) -> String {
        if let error = error as? QueryError { return error.rendered(line: line) }
        return "error: \(error)"
    }

    /// Writes lines to stderr; a line that would end in `ms` gets a `⏎` after it, so that only the timer's lines
    /// do (SPEC §2).
    func note(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.reversed().drop { $0.isWhitespace }.prefix(2)).lowercased() == "sm" ? line + " ⏎" : line
        }
        printError(lines.joined(separator: "\n"))
    }

    /// Writes result text to the output target, starting a CSV output with the byte order mark when asked.
    private func write(_ text: String) {
        guard !text.isEmpty else { return }
        if file != nil {
            write(text, to: &file!)
        } else {
            write(text, to: &standardOutput)
        }
    }

    private func write(_ text: String, to target: inout OutputTarget) {
        let prefix = mode.isCSV && byteOrderMark && target.isEmpty ? "\u{FEFF}" : ""
        do {
            try target.handle.write(contentsOf: Data((prefix + text).utf8))
            target.isEmpty = false
        } catch {
            note("error: cannot write to '\(target.name)': \(error.localizedDescription)")
        }
    }

    // MARK: Dot commands

    private func command(_ line: String) -> Outcome {
        let name = String(line.prefix { !$0.isWhitespace })
        let argument = Self.argument(String(line.dropFirst(name.count)))
        guard let command = DotCommand(name: name) else {
            note("error: unknown command '\(name)'; type .help for the list")
            return .proceed
        }
        switch command {
        case .quit:
            return .quit
        case .help:
            note(DotCommand.helpText)
        case .mode:
            if argument.isEmpty {
                note("mode: \(mode)")
            } else if let mode = ReplMode(name: argument) {
                self.mode = mode
            } else {
                note(
                    "error: unknown mode '\(argument)'; .mode takes \(Self.list(ReplMode.allCases.map(\.description)))"
                )
            }
        case .timer:
            if let on = onOff(argument, command: command, current: timer) { timer = on }
        case .bom:
            if let on = onOff(argument, command: command, current: byteOrderMark) { byteOrderMark = on }
        case .output:
            redirect(to: argument)
        case .read:
            return read(argument)
        case .reload:
            do {
                try reload()
                note("loaded \(rowCount) instances")
            } catch {
                note("error: \(error); still using the snapshot loaded before")
            }
        }
        return .proceed
    }

    /// The argument of a dot command: trimmed, surrounding double quotes removed, `~/` expanded.
    private static func argument(_ text: String) -> String {
        var argument = text.trimmingCharacters(in: .whitespaces)
        if argument.count >= 2, argument.hasPrefix("\""), argument.hasSuffix("\"") {
            argument = String(argument.dropFirst().dropLast())
        }
        return argument.hasPrefix("~") ? (argument as NSString).expandingTildeInPath : argument
    }

    /// `a, b or c`.
    private static func list(_ words: [String]) -> String {
        words.count < 2 ? words.joined() : words.dropLast().joined(separator: ", ") + " or " + words.last!
    }

    /// The value of an `on|off` argument; without one, prints the current setting and returns `nil`.
    private func onOff(_ argument: String, command: DotCommand, current: Bool) -> Bool? {
        switch argument.lowercased() {
        case "on": return true
        case "off": return false
        case "": note("\(command.rawValue): \(current ? "on" : "off")")
        default: note("error: \(command.name) takes on or off, not '\(argument)'")
        }
        return nil
    }

    /// `.output FILE` truncates or creates the file and sends results there; `.output` alone goes back to stdout.
    private func redirect(to path: String) {
        guard !path.isEmpty else {
            file = nil
            return
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            note("error: cannot write '\(path)': \(ReadFailure(code: errno))")
            return
        }
        file = OutputTarget(handle: FileHandle(fileDescriptor: descriptor, closeOnDealloc: true), name: path)
    }

    /// `.read FILE`: handles each line of the file as if typed; stops at `.quit`, at Ctrl-C or at a read error.
    private func read(_ path: String) -> Outcome {
        guard !path.isEmpty else {
            note("error: .read takes a file name")
            return .proceed
        }
        guard readDepth < Self.maximumReadDepth else {
            note("error: .read nested more than \(Self.maximumReadDepth) deep; is '\(path)' reading itself?")
            return .proceed
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            note("error: cannot read '\(path)': \(ReadFailure(code: errno))")
            return .proceed
        }
        defer { close(descriptor) }
        readDepth += 1
        defer { readDepth -= 1 }
        var reader = LineReader(descriptor: descriptor)
        do {
            while let line = try reader.next() {
                if ReplInterrupt.takePending() {
                    note("interrupted; the rest of '\(path)' was not run")
                    break
                }
                if handle(line) == .quit { return .quit }
            }
        } catch {
            note("error: cannot read '\(path)': \(error)")
        }
        return .proceed
    }
}

/// Where results go: stdout or a file named by `.output`.
private struct OutputTarget {
    /// The open handle.
    let handle: FileHandle
    /// The file name for messages.
    let name: String
    /// Whether nothing has been written yet (so a CSV byte order mark may still go first).
    var isEmpty = true
}
