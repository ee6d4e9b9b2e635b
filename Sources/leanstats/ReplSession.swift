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
/// timer — goes to stderr. Only the timer line ends in `ms` there (`docs/output-formats.md` §4): every other line is
/// written through ``note(_:)``, which marks the end of a line that would otherwise end in `ms` (an echoed query, say).
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
    /// Where the line being handled came from, innermost last: `line 3` of standard input, `queries.txt:7` of a
    /// `.read` file; empty for a line typed at the prompt.
    private var locations: [String] = []
    /// The locations of the lines that failed, in order (an interactive line counts as `input`).
    private(set) var failedLines: [String] = []

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
        let users = Locked<[String]?>(nil)
        completer = ReplCompleter(
            departments: Self.names(in: engine.table.deptName.dictionary),
            categories: engine.table.category.map { Self.names(in: $0.dictionary) } ?? [],
            users: {
                users.withLock { names in
                    if names == nil { names = engine.latestUserNames() }
                    return names!
                }
            }
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
    /// - Parameter location: where the line came from (`line 3`, `queries.txt:7`), or `nil` for a typed line;
    ///   errors about the line name it, and it joins ``failedLines`` when the line fails.
    func handle(_ rawLine: String, at location: String? = nil) -> Outcome {
        if let location { locations.append(location) }
        defer { if location != nil { locations.removeLast() } }
        let line = rawLine.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("--") || line.hasPrefix("#") { return .proceed }
        if line.hasPrefix(".") { return command(line) }
        run(line)
        return .proceed
    }

    /// Runs one query and prints its result, and the time it took when the timer is on.
    ///
    /// A `list` is printed a chunk of rows at a time; Ctrl-C stops it between chunks and the prompt comes back.
    private func run(_ line: String) {
        guard let executor else { return }
        let started = ContinuousClock.now
        let stream: ResultStream
        do {
            stream = try executor.stream(line)
        } catch {
            record(failure: Self.describe(error, line: line, location: locations.last))
            return
        }
        let complete = mode.formatter.write(stream, isCancelled: { ReplInterrupt.isPending }, emit: { write($0) })
        let elapsed = ContinuousClock.now - started
        if !complete { note("interrupted; the rest of the list was not printed") }
        for warning in stream.warnings { note("warning: \(warning)") }
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
    /// With a location, the message line starts with it: `line 3: unknown metric …`, under the query and caret.
    private static func describe(_ error: any Error, line: String, location: String?) -> String {
        let prefix = location.map { "\($0): " } ?? ""
        if let error = error as? QueryError {
            let rendered = error.rendered(line: line)
            guard let lastBreak = rendered.lastIndex(of: "\n") else { return prefix + rendered }
            return rendered[...lastBreak] + prefix + rendered[rendered.index(after: lastBreak)...]
        }
        return "\(prefix)error: \(error)"
    }

    /// Reports a failed line on stderr, prefixed with where it came from, and counts it in ``failedLines``.
    func fail(_ text: String) {
        record(failure: locations.last.map { "\($0): \(text)" } ?? text)
    }

    /// Writes a failure message that already names its location and counts it in ``failedLines``.
    private func record(failure message: String) {
        failedLines.append(locations.last ?? "input")
        note(message)
    }

    /// Writes lines to stderr; a line that would end in `ms` gets a `⏎` after it, so that only the timer's lines
    /// do (`docs/output-formats.md` §4).
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
            fail("error: cannot write to '\(target.name)': \(error.localizedDescription)")
        }
    }

    // MARK: Dot commands

    private func command(_ line: String) -> Outcome {
        let name = String(line.prefix { !$0.isWhitespace })
        let argument = Self.argument(String(line.dropFirst(name.count)))
        guard let command = DotCommand(name: name) else {
            fail("error: unknown command '\(name)'; type .help for the list")
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
                fail(Self.unknownModeMessage(argument))
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
                fail("error: \(error); still using the snapshot loaded before")
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

    /// The error for `.mode` with a name that is not a mode: the nearest mode when it looks like a typo, then all.
    static func unknownModeMessage(_ name: String) -> String {
        let names = ReplMode.allCases.map(\.description)
        guard let guess = Suggestion.nearest(to: name, among: names) else {
            return "error: unknown mode '\(name)'; .mode takes \(list(names))"
        }
        return "error: unknown mode '\(name)'; did you mean '\(guess)'? (.mode takes \(list(names)))"
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
        default: fail("error: \(command.name) takes on or off, not '\(argument)'")
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
            fail("error: cannot write '\(path)': \(ReadFailure(code: errno))")
            return
        }
        file = OutputTarget(handle: FileHandle(fileDescriptor: descriptor, closeOnDealloc: true), name: path)
    }

    /// `.read FILE`: handles each line of the file as if typed; stops at `.quit`, at Ctrl-C or at a read error.
    private func read(_ path: String) -> Outcome {
        guard !path.isEmpty else {
            fail("error: .read takes a file name")
            return .proceed
        }
        guard readDepth < Self.maximumReadDepth else {
            fail("error: .read nested more than \(Self.maximumReadDepth) deep; is '\(path)' reading itself?")
            return .proceed
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            fail("error: cannot read '\(path)': \(ReadFailure(code: errno))")
            return .proceed
        }
        defer { close(descriptor) }
        readDepth += 1
        defer { readDepth -= 1 }
        var reader = LineReader(descriptor: descriptor)
        var lineNumber = 0
        do {
            while let line = try reader.next() {
                lineNumber += 1
                if ReplInterrupt.takePending() {
                    note("interrupted; the rest of '\(path)' was not run")
                    break
                }
                if handle(line, at: "\(path):\(lineNumber)") == .quit { return .quit }
            }
        } catch {
            fail("error: cannot read '\(path)': \(error)")
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
