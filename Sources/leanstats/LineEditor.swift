import CEdit
import Foundation
import LeanStatsQuery

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An interactive line reader on a terminal: editing, history and Tab completion, backed by libedit.
///
/// The editor works on wide characters (`el_wgets`, `el_wline`, `el_winsertstr`), so a Chinese character is one
/// character to the cursor keys, Backspace and completion, and libedit draws it two columns wide; this needs a UTF-8
/// `LC_CTYPE`, which ``prepareLocale()`` makes sure of. The editor draws on stderr (on stdout when only that is a
/// terminal), so stdout carries results only.
/// History is kept in memory by libedit (Up and Down, Ctrl-R) and on disk by ``HistoryFile``.
///
/// The object owns the libedit handles and frees them in `deinit`, which also puts the terminal back.
final class LineEditor {
    /// What one call to ``readLine()`` got.
    enum Input: Equatable {
        /// A line, without its newline.
        case line(String)
        /// Ctrl-C: the line was thrown away.
        case interrupted
        /// Ctrl-D on an empty line, or the end of the input.
        case end
    }

    private let editLine: OpaquePointer
    private let history: OpaquePointer
    private let prompt: UnsafeMutablePointer<CChar>
    /// Where the prompt, the line and completion lists are drawn.
    private let display: Int32
    private let historyFile: HistoryFile?
    private let completion: (String) -> ReplCompleter.Edit
    private var lastEntry: String?
    /// Set by Ctrl-C while a line is edited; the line that `el_wgets` then returns is thrown away.
    private var cancelled = false

    /// The most entries kept in memory and in the history file.
    static let historySize = 1000

    /// Sets up the editor on stdin, drawing on stderr (or on stdout when stderr is not a terminal but stdout is).
    /// - Parameters:
    ///   - prompt: the prompt, e.g. `leanstats> `.
    ///   - historyFile: where history persists between sessions, or `nil` for none; its entries are loaded now.
    ///   - completion: what Tab does, given the text before the cursor.
    /// - Returns: `nil` when libedit cannot start (then read lines without editing).
    /// The corresponding libedit functions are `el_init`, `history_winit` and `el_set`.
    init?(prompt: String, historyFile: HistoryFile?, completion: @escaping (String) -> ReplCompleter.Edit) {
        Self.prepareLocale()
        let display = isatty(STDERR_FILENO) == 0 && isatty(STDOUT_FILENO) == 1 ? STDOUT_FILENO : STDERR_FILENO
        // The FILE streams wrap standard descriptors, which outlive the editor; they are never closed.
        guard let input = fdopen(STDIN_FILENO, "r"), let output = fdopen(display, "w"),
            let editLine = el_init("leanstats", input, output, output)
        else { return nil }
        guard let history = history_winit(), let promptText = strdup(prompt) else {
            el_end(editLine)
            return nil
        }
        self.editLine = editLine
        self.history = history
        self.prompt = promptText
        self.display = display
        self.historyFile = historyFile
        self.completion = completion
        leanstats_el_set_client_data(editLine, Unmanaged.passUnretained(self).toOpaque())
        leanstats_el_set_prompt(editLine) { editLine in
            guard let editLine, let editor = LineEditor.owner(of: editLine) else { return nil }
            return editor.prompt
        }
        leanstats_el_set_editor(editLine, "emacs")
        leanstats_el_set_signal(editLine, 1)
        leanstats_history_set_size(history, Int32(Self.historySize))
        leanstats_history_set_unique(history, 1)
        leanstats_el_set_history(editLine, history)
        leanstats_el_add_command(editLine, "leanstats-complete", "Complete a word") { editLine, _ in
            guard let editLine, let editor = LineEditor.owner(of: editLine) else { return UInt8(CC_ERROR) }
            return editor.completeWord()
        }
        leanstats_el_bind(editLine, "^I", "leanstats-complete")
        leanstats_el_bind(editLine, "^R", "em-inc-search-prev")
        // Ctrl-C and Ctrl-Z are keys while a line is edited: a SIGINT that arrives between two reads would be lost
        // (libedit goes back to a blocking read), a key never is. Between lines they are signals again.
        leanstats_el_set_edit_tty_mode(editLine, "-isig")
        leanstats_el_add_command(editLine, "leanstats-cancel", "Throw the line away") { editLine, _ in
            guard let editLine, let editor = LineEditor.owner(of: editLine) else { return UInt8(CC_ERROR) }
            return editor.cancelLine()
        }
        leanstats_el_bind(editLine, "^C", "leanstats-cancel")
        leanstats_el_add_command(editLine, "leanstats-suspend", "Suspend, as Ctrl-Z does") { _, _ in
            // Returns once the shell continues the process (fg); then the prompt and the line are drawn again.
            kill(0, SIGTSTP)
            return UInt8(CC_REDISPLAY)
        }
        leanstats_el_bind(editLine, "^Z", "leanstats-suspend")
        // ~/.editrc (or $EDITRC) may rebind keys, e.g. `bind -v` for vi mode.
        el_source(editLine, nil)
        for entry in historyFile?.load(limit: Self.historySize) ?? [] { enterInMemory(entry) }
    }

    deinit {
        el_end(editLine)
        history_wend(history)
        free(prompt)
    }

    /// The editor whose client data a libedit callback received.
    private static func owner(of editLine: OpaquePointer) -> LineEditor? {
        leanstats_el_client_data(editLine).map { Unmanaged<LineEditor>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Reads one line with editing.
    /// - Returns: the line, or what ended it instead.
    /// The corresponding libedit function is `el_wgets`.
    func readLine() -> Input {
        _ = ReplInterrupt.takePending()
        cancelled = false
        var count: Int32 = 0
        let wide = el_wgets(editLine, &count)
        let failure = errno
        if cancelled { return .interrupted }
        guard let wide, count > 0 else {
            // A SIGINT sent from elsewhere (kill -INT) interrupts the read instead.
            if ReplInterrupt.takePending() || (count < 0 && failure == EINTR) {
                write("\n")
                return .interrupted
            }
            return .end
        }
        var line = Self.string(wide, count: Int(count))
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    /// Adds a line to the history, in memory and in the history file, without trailing whitespace (which Tab
    /// leaves); blank lines and repeats are skipped.
    func remember(_ line: String) {
        let entry = String(line.reversed().drop(while: \.isWhitespace).reversed())
        guard !entry.isEmpty, entry != lastEntry else { return }
        enterInMemory(entry)
        historyFile?.append(entry)
    }

    private func enterInMemory(_ line: String) {
        lastEntry = line
        _ = Self.withWideString(line) { leanstats_history_enter(history, $0) }
    }

    /// Ctrl-C: ends the line as Enter would — cursor to the end, new line — and marks it as thrown away.
    /// - Returns: the libedit code that redraws the line.
    /// The corresponding libedit functions are `el_cursor` and `el_push`.
    private func cancelLine() -> UInt8 {
        cancelled = true
        if let info = el_wline(editLine)?.pointee, let cursor = info.cursor, let end = info.lastchar {
            el_cursor(editLine, Int32(end - cursor))
        }
        el_push(editLine, "\n")
        return UInt8(CC_REFRESH)
    }

    /// Tab: asks the completion for an edit and applies it to the line.
    /// - Returns: the libedit code that tells it how to redraw.
    /// The corresponding libedit functions are `el_wline`, `el_deletestr` and `el_winsertstr`.
    private func completeWord() -> UInt8 {
        guard let info = el_wline(editLine)?.pointee, let buffer = info.buffer, let cursor = info.cursor else {
            return UInt8(CC_ERROR)
        }
        switch completion(Self.string(buffer, count: cursor - buffer)) {
        case .beep:
            return UInt8(CC_ERROR)
        case .replace(let count, let text):
            el_deletestr(editLine, Int32(count))
            let inserted = Self.withWideString(text) { el_winsertstr(editLine, $0) }
            return UInt8(inserted == 0 ? CC_REFRESH : CC_ERROR)
        case .list(let names):
            write("\n" + Self.columns(names, width: terminalWidth()))
            return UInt8(CC_REDISPLAY)
        }
    }

    /// Candidates laid out in columns across the terminal, like a shell lists completions.
    static func columns(_ names: [String], width: Int) -> String {
        let columnWidth = (names.map(displayWidth).max() ?? 0) + 2
        let perLine = max(1, width / max(columnWidth, 1))
        var text = ""
        for (index, name) in names.enumerated() {
            let last = index % perLine == perLine - 1 || index == names.count - 1
            text += last ? name + "\n" : name + String(repeating: " ", count: columnWidth - displayWidth(name))
        }
        return text
    }

    /// The width of the terminal, 80 when unknown.
    private func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(display, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// Writes text where the editor draws.
    func write(_ text: String) {
        FileHandle(fileDescriptor: display, closeOnDealloc: false).write(Data(text.utf8))
    }

    /// Makes `LC_CTYPE` a UTF-8 locale, so that libedit decodes the keyboard's bytes as UTF-8 and measures wide
    /// characters: the user's locale when it is UTF-8, else `C.UTF-8`.
    ///
    /// Only `LC_CTYPE` changes: numbers and messages stay in the C locale, so `time: 1.234 ms` keeps its `.`.
    static func prepareLocale() {
        setlocale(LC_CTYPE, "")
        guard let codeset = nl_langinfo(nl_item(CODESET)),
            String(cString: codeset).uppercased().replacing("-", with: "") != "UTF8"
        else { return }
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] where setlocale(LC_CTYPE, name) != nil { return }
    }

    /// The text of `count` wide characters.
    private static func string(_ start: UnsafePointer<wchar_t>, count: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for offset in 0..<max(count, 0) {
            if let scalar = Unicode.Scalar(UInt32(bitPattern: Int32(start[offset]))) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// Calls `body` with the text as a NUL-terminated wide string.
    private static func withWideString<Result>(
        _ text: String,
        _ body: (UnsafePointer<wchar_t>) -> Result
    ) -> Result {
        let wide = text.unicodeScalars.map { wchar_t(bitPattern: $0.value) } + [0]
        return wide.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
