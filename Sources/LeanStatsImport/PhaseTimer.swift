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
    private var lastCPU: Double

    /// Starts timing now.
    public init() {
        last = .now
        lastCPU = Self.processCPUSeconds()
    }

    /// `RUSAGE_SELF`, typed as `getrusage` takes it on this platform.
    #if canImport(Glibc)
    private static let wholeProcess = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    private static let wholeProcess = RUSAGE_SELF
    #endif

    /// User and system CPU time of the whole process so far, in seconds.
    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(wholeProcess, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Prints the wall and CPU time since the previous lap (or the start) under `phase`, when timing is on.
    public mutating func lap(_ phase: @autoclosure () -> String) {
        guard Self.enabled else { return }
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let cpu = Self.processCPUSeconds()
        let cpuMilliseconds = Int(((cpu - lastCPU) * 1e3).rounded())
        lastCPU = cpu
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3
        let line = Array("timing: \(phase()) \(Int(milliseconds.rounded())) ms (cpu \(cpuMilliseconds) ms)\n".utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
