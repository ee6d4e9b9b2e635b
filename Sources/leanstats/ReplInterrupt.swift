#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C in the interactive REPL while a query or a `.read` runs: it stops a long `list` and the `.read` instead of
/// ending the process.
///
/// While a line is edited Ctrl-C is a key that ``LineEditor`` binds (the terminal's `isig` is off then); between
/// lines it is SIGINT again, and ``install()`` sets a handler that only records that it came. The handler has no
/// `SA_RESTART`, so a SIGINT sent from elsewhere (`kill -INT`) while a line is edited interrupts that read too.
enum ReplInterrupt {
    /// Set to 1 by the SIGINT handler, cleared by ``takePending()``.
    ///
    /// `nonisolated(unsafe)` is safe here: the handler does the one thing a signal handler may do, a single store
    /// of a `sig_atomic_t`, and only the main thread reads and clears it, between lines. A read that misses a
    /// signal arriving at that very moment costs at most one more line of a `.read` file.
    nonisolated(unsafe) private static var pending: sig_atomic_t = 0

    /// Installs the SIGINT handler.
    static func install() {
        // Touch the flag first so that its lazy initialisation never runs inside the handler.
        _ = takePending()
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in ReplInterrupt.pending = 1 }
        #else
        action.__sigaction_u.__sa_handler = { _ in ReplInterrupt.pending = 1 }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Whether Ctrl-C was pressed since the flag was last cleared; leaves it set, so that a `.read` running the
    /// interrupted line stops too.
    static var isPending: Bool { pending != 0 }

    /// Whether Ctrl-C was pressed since the last call; clears the flag.
    static func takePending() -> Bool {
        defer { pending = 0 }
        return pending != 0
    }
}
