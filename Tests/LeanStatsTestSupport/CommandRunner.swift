import Foundation

/// What a finished `leanstats` process left behind.
public struct CommandOutput: Sendable {
    /// The exit status (or the signal number for a killed process).
    public let status: Int32
    /// Everything written to stdout.
    public let stdout: String
    /// Everything written to stderr.
    public let stderr: String
}

/// Runs the real `leanstats` executable built next to the test bundle.
public enum LeanStats {
    /// The path of the built executable.
    public static var executable: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "leanstats"
            ).path,
            Bundle.main.bundleURL.appendingPathComponent("leanstats").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/leanstats").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[2]
    }

    /// The repository root (for the bundled `Data/`).
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// Starts `leanstats` with arguments; the caller waits or kills.
    public static func start(
        _ arguments: [String],
        stdin: String? = nil,
        environment: [String: String] = [:]
    )
        throws -> (process: Process, stdout: Pipe, stderr: Pipe)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LEANSTATS_DATA")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        return (process, out, err)
    }

    /// Runs `leanstats` to completion.
    public static func run(
        _ arguments: [String],
        stdin: String? = nil,
        environment: [String: String] = [:]
    ) throws
        -> CommandOutput
    {
        let (process, out, err) = try start(arguments, stdin: stdin, environment: environment)
        // Read before waiting so a full pipe cannot block the child.
        let stdout = readToEnd(out.fileHandleForReading)
        let stderr = readToEnd(err.fileHandleForReading)
        process.waitUntilExit()
        return CommandOutput(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    /// Everything a pipe delivers until its writers close it. Unlike `FileHandle.readDataToEndOfFile`, which traps on
    /// any read error, it waits out `EAGAIN` (a descriptor left non-blocking) and `EINTR`.
    static func readToEnd(_ handle: FileHandle) -> Data {
        let descriptor = handle.fileDescriptor
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count == 0 {
                return data
            } else if errno == EAGAIN {
                var wait = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&wait, 1, 1000)
            } else if errno != EINTR {
                return data
            }
        }
    }
}
