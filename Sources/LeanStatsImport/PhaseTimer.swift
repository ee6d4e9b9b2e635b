import Foundation

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
    private var lastUsage: (cpu: Double, faults: Int)

    /// Starts timing now.
    public init() {
        last = .now
        lastUsage = Self.processUsage()
    }

    /// `RUSAGE_SELF`, typed as `getrusage` takes it on this platform.
    #if canImport(Glibc)
    private static let wholeProcess = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    private static let wholeProcess = RUSAGE_SELF
    #endif

    /// User and system CPU time of the whole process so far, in seconds, and its page faults (a first touch of
    /// fresh memory is one, and costs the system time of clearing the page).
    private static func processUsage() -> (cpu: Double, faults: Int) {
        var usage = rusage()
        getrusage(wholeProcess, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime) + seconds(usage.ru_stime), usage.ru_minflt + usage.ru_majflt)
    }

    /// The process's resident and peak resident memory from `/proc/self/status` (`VmRSS`, `VmHWM`), or an empty
    /// text where that file does not exist.
    private static func residentMemory() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "" }
        func megabytes(_ key: String) -> String {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
                let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
            else { return "?" }
            return "\(kilobytes / 1024) MB"
        }
        return "resident \(megabytes("VmRSS:")), peak \(megabytes("VmHWM:"))"
    }

    /// Prints the wall and CPU time and the page faults since the previous lap (or the start) under `phase`, when
    /// timing is on.
    public mutating func lap(_ phase: @autoclosure () -> String) {
        guard Self.enabled else { return }
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let usage = Self.processUsage()
        let cpuMilliseconds = Int(((usage.cpu - lastUsage.cpu) * 1e3).rounded())
        let faults = usage.faults - lastUsage.faults
        lastUsage = usage
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3
        let line = Array(
            ("timing: \(phase()) \(Int(milliseconds.rounded())) ms (cpu \(cpuMilliseconds) ms, \(faults) faults, "
                + "\(Self.residentMemory()))\n").utf8
        )
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
