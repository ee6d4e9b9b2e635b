#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints how long each step of an import takes on stderr, when the hidden environment variable
/// `LEANSTATS_TIMING` is set (for profiling; the output is not part of any interface).
public struct PhaseTimer: Sendable {
    /// Whether timing is on for this process.
    public static let enabled = getenv("LEANSTATS_TIMING") != nil

    private var last: ContinuousClock.Instant

    /// Starts timing now.
    public init() {
        last = .now
    }

    /// Prints the time since the previous lap (or the start) under `phase`, when timing is on.
    public mutating func lap(_ phase: @autoclosure () -> String) {
        guard Self.enabled else { return }
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3
        let line = Array("timing: \(phase()) \(Int(milliseconds.rounded())) ms\n".utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
