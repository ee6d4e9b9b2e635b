import Foundation
import LeanStatsTestSupport
import Testing

/// A private tmux server (its own socket, no config file) running one program in a detached session, for driving
/// a terminal program with real keystrokes and reading its screen.
struct TmuxSession {
    /// The tmux executable on `PATH`, or `nil` when tmux is not installed.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/tmux" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// How to start the server: through `env --default-signal` where `env` has it (GNU coreutils 8.31 and later).
    ///
    /// Test code runs on worker threads that block every signal, and a child inherits that mask; a tmux server
    /// started so would pass it on to the REPL and to its shell, which then ignore Ctrl-C, Ctrl-Z and SIGHUP, and
    /// `kill-server` would leave them running. `--default-signal` unblocks them and restores their handling.
    static let launcher: [String] = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["--default-signal", "true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return [] }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? ["/usr/bin/env", "--default-signal"] : []
    }()

    /// The server's socket.
    let socket: String
    /// The session (and window) name.
    let name = "repl"

    /// Starts `command` (a shell command line) in a new detached session of `width` × `height` cells.
    init(socket: String, command: String, width: Int = 120, height: Int = 40) throws {
        self.socket = socket
        // The server forks from this client and keeps its descriptors, so Foundation may see the client end only
        // with the server: start it without waiting and ask the server when it is up.
        _ = try process(
            ["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command],
            output: nil,
            launcher: Self.launcher
        )
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let check = try process(["has-session", "-t", name], output: nil)
            check.waitUntilExit()
            if check.terminationStatus == 0 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("the tmux server did not start")
    }

    /// Starts a tmux client for this server.
    private func process(_ arguments: [String], output: Pipe?, launcher: [String] = []) throws -> Process {
        let tmux = Self.executable ?? "/usr/bin/tmux"
        let command = launcher + [tmux, "-u", "-f", "/dev/null", "-S", socket] + arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["LANG"] = "C.UTF-8"
        environment.removeValue(forKey: "LC_ALL")
        environment.removeValue(forKey: "TMUX")
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs a tmux command against this server and returns its stdout.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let output = Pipe()
        let process = try process(arguments, output: output)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Types text literally (UTF-8, so Chinese too).
    func type(_ text: String) throws { try tmux(["send-keys", "-t", name, "-l", text]) }

    /// Presses keys by tmux name: `Tab`, `Enter`, `BSpace`, `Left`, `Up`, `C-c`, `C-d`.
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    /// The visible screen, one string per line, trailing spaces removed.
    func screen() throws -> [String] {
        try tmux(["capture-pane", "-p", "-t", name]).split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.reversed().drop { $0 == " " }.reversed())
        }
    }

    /// The cursor column, counted in terminal cells from 0.
    func cursorColumn() throws -> Int? {
        Int(
            try tmux(["display-message", "-p", "-t", name, "#{cursor_x}"]).trimmingCharacters(
                in: .whitespacesAndNewlines
            )
        )
    }

    /// Polls the screen until `condition` holds or ten seconds pass.
    /// - Returns: the last screen seen.
    /// - Throws: when the condition does not hold in time (recording the screen).
    @discardableResult
    func waitFor(_ description: String, _ condition: ([String]) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(10)
        var lines = try screen()
        while !condition(lines) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            lines = try screen()
        }
        try #require(condition(lines), "waited for \(description); the screen is:\n\(lines.joined(separator: "\n"))")
        return lines
    }

    /// Ends the server and everything in it.
    func kill() { _ = try? tmux(["kill-server"]) }
}

extension [String] {
    /// The last line that is not empty.
    var lastLine: String { last { !$0.isEmpty } ?? "" }
}

/// The interactive REPL driven through a pseudo-terminal (tmux): Chinese typed and edited, Tab completion, history,
/// Ctrl-C and Ctrl-D.
@Suite(.serialized)
struct ReplTerminalTests {
    static let prompt = "leanstats> "

    /// The shell command that runs the REPL on the store with a private home and history file, then reports its
    /// exit status and stays on screen.
    static func command(store: SampleStore, locale: String) -> String {
        let home = store.directory.path
        return "env LANG=\(locale) LC_ALL= LC_CTYPE= HOME='\(home)' LEANSTATS_HISTORY='\(home)/history' "
            + "'\(LeanStats.executable)' repl --data '\(store.path)'; echo \"[exit $?]\"; sleep 600"
    }

    @Test(
        .enabled(if: TmuxSession.executable != nil, "tmux is not installed; apt-get install -y tmux to run this"),
        .timeLimit(.minutes(2))
    )
    func typingChineseEditingCompletingAndRecallingHistoryOnATerminal() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let tmux = try TmuxSession(
            socket: store.directory.file("tmux.sock"),
            command: Self.command(store: store, locale: "C.UTF-8")
        )
        defer { tmux.kill() }
        let prompt = Self.prompt
        try tmux.waitFor("the banner and the prompt") {
            $0.first == "LeanStats — 2400 instances. Type .help for help, Tab to complete, .quit to leave."
                && $0.lastLine == prompt.trimmingCharacters(in: .whitespaces)
        }

        // Tab completes a dimension, then a department name after `dept=`.
        try tmux.type("by de")
        try tmux.press("Tab")
        try tmux.waitFor("`by de` completed to `by dept`") { $0.lastLine == prompt + "by dept" }
        try tmux.type("count 2025-11 where dept=生")
        try tmux.press("Tab")
        let query = prompt + "by dept count 2025-11 where dept=生产部"
        try tmux.waitFor("`dept=生` completed to 生产部") { $0.lastLine == query }
        try tmux.press("Enter")
        try tmux.waitFor("the 生产部 row") { $0.contains("生产部    120") && $0.lastLine == "leanstats>" }

        // Inside `dept in (…)`, after a full-width comma, Tab completes department names too.
        try tmux.type("by dept count 2025-11 where dept in (质量部，生")
        try tmux.press("Tab")
        try tmux.waitFor("`in (质量部，生` completed to 生产部") {
            $0.lastLine == prompt + "by dept count 2025-11 where dept in (质量部，生产部"
        }
        try tmux.press("C-c")
        try tmux.waitFor("a fresh prompt after the list") { $0.lastLine == "leanstats>" }

        // After `user=`, Tab lists the users' most recent names, then completes one.
        try tmux.type("by user count all where user=胡")
        try tmux.press("Tab")
        try tmux.waitFor("the names starting with 胡") {
            $0.contains { $0.contains("胡伟") && $0.contains("胡娜") && $0.contains("胡静") }
        }
        try tmux.type("静")
        try tmux.press("Tab")
        try tmux.waitFor("`user=胡静` completed") { $0.lastLine == prompt + "by user count all where user=胡静" }
        try tmux.press("C-c")
        try tmux.waitFor("a fresh prompt after the names") { $0.lastLine == "leanstats>" }

        // Left and Backspace move over and delete whole Chinese characters: 质量部X → 生产部.
        try tmux.type("by dept count 2025-11 where dept=质量部X")
        try tmux.press("BSpace", "Left", "BSpace", "BSpace")
        try tmux.type("生产")
        try tmux.waitFor("the edited line") { $0.lastLine == query }
        // The cursor sits before 部: each Chinese character is two cells wide.
        #expect(try tmux.cursorColumn() == (prompt + "by dept count 2025-11 where dept=").count + 4)
        try tmux.press("Enter")
        try tmux.waitFor("the edited query's answer") {
            $0.filter { $0 == "生产部    120" }.count == 2 && $0.lastLine == "leanstats>"
        }

        // Up recalls the last line; Ctrl-C throws it away without running it.
        try tmux.press("Up")
        try tmux.waitFor("the recalled line") { $0.lastLine == query }
        try tmux.press("C-c")
        try tmux.waitFor("a fresh prompt after Ctrl-C") { $0.lastLine == "leanstats>" }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try tmux.screen().filter { $0 == "生产部    120" }.count == 2)

        // Several candidates: Tab lists them below the line.
        try tmux.type("by dept count,pa")
        try tmux.press("Tab")
        try tmux.waitFor("the list of metrics starting with pa") {
            $0.contains { $0.hasPrefix("passed") && $0.contains("pass_rate") && $0.contains("participants") }
        }
        try tmux.press("C-c")

        // The timer line on the terminal.
        try tmux.type(".timer on")
        try tmux.press("Enter")
        try tmux.type("overview 2025-11")
        try tmux.press("Enter")
        try tmux.waitFor("the timer line") { $0.contains { $0.wholeMatch(of: /time: \d+\.\d{3} ms/) != nil } }

        // Ctrl-D on an empty line leaves with status 0.
        try tmux.press("C-d")
        try tmux.waitFor("the exit") { $0.lastLine == "[exit 0]" }

        let historyPath = store.directory.file("history")
        let history = try String(contentsOfFile: historyPath, encoding: .utf8)
        #expect(history == "by dept count 2025-11 where dept=生产部\n.timer on\noverview 2025-11\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: historyPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test(
        .enabled(if: TmuxSession.executable != nil, "tmux is not installed; apt-get install -y tmux to run this"),
        .timeLimit(.minutes(2))
    )
    func historyPersistsAcrossSessionsAndChineseWorksUnderTheCLocale() throws {
        let store = try SampleStore()
        defer { store.remove() }
        try store.directory.write("history", "overview 2025-10\nby dept count 2025-11 where dept=质量部\n.mode csv\n")
        let tmux = try TmuxSession(
            socket: store.directory.file("tmux.sock"),
            command: Self.command(store: store, locale: "C")
        )
        defer { tmux.kill() }
        let prompt = Self.prompt
        try tmux.waitFor("the prompt") { $0.lastLine == "leanstats>" }
        try tmux.press("Up", "Up")
        try tmux.waitFor("the entry from the last session") {
            $0.lastLine == prompt + "by dept count 2025-11 where dept=质量部"
        }
        // Replace 质量 with 生产 under LANG=C: the REPL switches LC_CTYPE to UTF-8 itself.
        try tmux.press("Left", "BSpace", "BSpace")
        try tmux.type("生产")
        try tmux.press("Enter")
        try tmux.waitFor("the 生产部 row") { $0.contains("生产部    120") }
        try tmux.type(".quit")
        try tmux.press("Enter")
        try tmux.waitFor("the exit") { $0.lastLine == "[exit 0]" }
        let history = try String(contentsOfFile: store.directory.file("history"), encoding: .utf8)
        #expect(history.hasSuffix(".mode csv\nby dept count 2025-11 where dept=生产部\n.quit\n"))
    }

    @Test(
        .enabled(if: TmuxSession.executable != nil, "tmux is not installed; apt-get install -y tmux to run this"),
        .timeLimit(.minutes(3))
    )
    func ctrlCStopsALongListAndThePromptComesBack() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-repl-list")
        defer { directory.remove() }
        let store = directory.file("store")
        let generated = try LeanStats.run(["gen", "--rows", "2000000", "--seed", "3", "--data", store])
        try #require(generated.status == 0, "\(generated.stderr)")
        let command =
            "env LANG=C.UTF-8 LC_ALL= HOME='\(directory.path)' LEANSTATS_HISTORY= '\(LeanStats.executable)' repl "
            + "--data '\(store)' --format csv; echo \"[exit $?]\"; sleep 600"
        let tmux = try TmuxSession(socket: directory.file("tmux.sock"), command: command)
        defer { tmux.kill() }
        try tmux.waitFor("the prompt") { $0.lastLine == "leanstats>" }
        try tmux.type("list all")
        try tmux.press("Enter")
        try tmux.waitFor("rows scrolling by") { $0.contains { $0.contains(",COMPLETED,") || $0.contains(",RUNNING,") } }
        try tmux.press("C-c")
        try tmux.waitFor("the list stopped and a fresh prompt") {
            // The terminal echoes Ctrl-C as ^C, which may start the line.
            $0.contains { $0.hasSuffix("interrupted; the rest of the list was not printed") }
                && $0.lastLine == "leanstats>"
        }
        try tmux.type("by status count all")
        try tmux.press("Enter")
        try tmux.waitFor("the next query's answer") { $0.contains("status,count") && $0.lastLine == "leanstats>" }
        try tmux.press("C-d")
        try tmux.waitFor("the exit") { $0.lastLine == "[exit 0]" }
    }
}
