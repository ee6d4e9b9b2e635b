import ArgumentParser
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure that the command reports as one line on stderr before exiting with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Writes one line to stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Whether stderr is a terminal (progress lines are shown only then).
var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

/// Whether stdin is a terminal.
var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

/// Runs a command body, turning any error into one line on stderr and exit status 1 — never a backtrace.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("leanstats: \(error)")
        throw ExitCode.failure
    }
}

/// Formats a byte count for people: `1.2 MB`.
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// Blocks until SIGINT or SIGTERM arrives (long-running commands: `serve`, `emulator`).
func waitForStopSignal() {
    let done = DispatchSemaphore(value: 0)
    var sources: [any DispatchSourceSignal] = []
    for signalNumber in [SIGINT, SIGTERM] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { done.signal() }
        source.resume()
        sources.append(source)
    }
    done.wait()
    for source in sources { source.cancel() }
}

/// Tunes the C allocator for a bulk job (`import`) that allocates and frees columns of hundreds of
/// megabytes: blocks of up to 2 GB come from the heap, freed memory is not handed back, and one arena serves every
/// thread. Freed columns are then reused instead of being returned to the kernel and faulted in, zeroed, again
/// (a 10M-row import touches about 10 GB of fresh pages otherwise). The process ends after the job.
func tuneAllocatorForBulkWork() {
    #if os(Linux)
    // glibc's `mallopt` parameters (malloc.h), which the Glibc module does not export.
    let trimThreshold: Int32 = -1
    let mmapThreshold: Int32 = -3
    let arenaMax: Int32 = -8
    _ = glibcMallopt(mmapThreshold, Int32.max)
    _ = glibcMallopt(trimThreshold, Int32.max)
    _ = glibcMallopt(arenaMax, 1)
    #endif
}

#if os(Linux)
/// glibc's `int mallopt(int param, int value)`.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
