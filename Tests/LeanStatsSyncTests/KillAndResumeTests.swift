import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSync

/// A `leanstats sync` killed with SIGKILL mid-run and started again ends with the same store as an uninterrupted
/// sync, without starting over.
///
/// The test is synchronous on purpose: it polls and kills from its own thread, so a busy cooperative pool (the
/// rest of the test suite) cannot delay the kill until the sync has finished.
@Suite(.serialized)
struct KillAndResumeTests {
    @Test func aSyncKilledMidRunAndRestartedEndsWithTheSameStore() throws {
        let records = SyncHarness.newest(300)
        // The emulator allows far more than the client's 40 calls a second: a killed run's calls still in flight
        // and the restarted run's first calls may land in the same second, and this test is about resuming.
        let harness = try SyncHarness(records: records, options: SyncHarness.fastEmulator())
        defer { harness.tearDown() }
        let config = try CLIConfig.write(
            harness,
            in: harness.directory,
            extra: "qps = 40\nbatch_size = 15\nconcurrency = 4\nretries = 8\nbackoff_max_ms = 500"
        )
        let now = CLIConfig.nowArgument(harness)
        func arguments(_ store: String) -> [String] {
            ["sync", "--config", config, "--data", store, "--now", now, "--tz", "Asia/Shanghai"]
        }
        let store = harness.store("killed")
        var kills = 0
        for round in 0..<3 {
            // Each committed batch appends two journal records (the instances and the sync state).
            func committed() -> Int {
                SnapshotStore(directory: store).verifyJournals().reduce(0) { sum, journal in
                    sum + ((try? journal.outcome.get())?.records ?? 0)
                }
            }
            let committedBefore = committed()
            let (process, stdout, stderr) = try LeanStats.start(arguments(store))
            // Kill once a batch or two more has landed, at a different point each round.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline && process.isRunning {
                if committed() >= committedBefore + 2 * (1 + round) { break }
                Thread.sleep(forTimeInterval: 0.01)
            }
            guard process.isRunning else {
                let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "the sync failed on its own: \(errors)")
                #expect(output.contains("sync finished"), "\(output)\(errors)")
                break
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            kills += 1
            let verify = try LeanStats.run(["snapshot", "verify", "--data", store])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
        #expect(kills >= 2, "the sync finished before it could be killed; the test proved little")
        let finish = try LeanStats.run(arguments(store))
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(finish.stdout.contains("sync finished (resumed)") || kills == 0, "\(finish.stdout)")

        // Each kill loses at most the batch in progress and the requests in flight; nothing else is fetched twice.
        let syncCalls = harness.emulator.statistics.quotaCalls
        #expect(syncCalls <= 318 + kills * (15 + 4 + 2), "a resumed sync started over (\(syncCalls) calls)")

        let reference = harness.store("reference")
        let uninterrupted = try LeanStats.run(arguments(reference))
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        let killed = try SyncHarness.stored(store)
        #expect(killed == (try SyncHarness.stored(reference)))
        #expect(killed == harness.expected(api: .v1))
        let state = try SyncState(metadata: try SyncHarness.metadata(store))
        #expect(state.run == nil && state.cursor != nil)
    }
}

/// Writes configuration files for `leanstats sync` runs against a harness's emulator.
enum CLIConfig {
    /// Writes `leanstats.toml` (mode 0600) pointing at the emulator.
    /// - Parameters:
    ///   - harness: The emulator.
    ///   - directory: Where to write.
    ///   - extra: Lines for the `[sync]` section.
    ///   - dingtalk: Lines replacing the `[dingtalk]` section's defaults, by key.
    /// - Returns: The file's path.
    static func write(
        _ harness: SyncHarness,
        in directory: TemporaryDirectory,
        name: String = "leanstats.toml",
        extra: String = "",
        dingtalk: [String: String?] = [:]
    ) throws -> String {
        var keys: [(String, String?)] = [
            ("api", "\"v1\""), ("api_url", "\"\(harness.server.baseURL)\""),
            ("oapi_url", "\"\(harness.server.baseURL)\""), ("app_key", "\"\(harness.emulator.options.appKey)\""),
            ("app_secret", "\"\(harness.emulator.options.appSecret)\""),
            ("process_code", "[\"\(harness.emulator.options.processCode)\"]"),
        ]
        for index in keys.indices {
            if let replacement = dingtalk[keys[index].0] { keys[index].1 = replacement }
        }
        for (key, value) in dingtalk where !keys.contains(where: { $0.0 == key }) { keys.append((key, value)) }
        var text = "# written by the sync tests\n[dingtalk]\n"
        for (key, value) in keys { if let value { text += "\(key) = \(value)\n" } }
        text += "\n[sync]\n\(extra)\n"
        let given = Set(
            extra.split(separator: "\n").compactMap { $0.split(separator: "=").first }.map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        )
        for (key, value) in [("backoff_ms", "5"), ("backoff_max_ms", "40"), ("timeout_s", "10")]
        where !given.contains(key) {
            text += "\(key) = \(value)\n"
        }
        let path = try directory.write(name, text)
        chmod(path, 0o600)
        return path
    }

    /// The emulator's current time for `--now`, in Beijing time.
    static func nowArgument(_ harness: SyncHarness) -> String {
        let zone = try? ZoneClock(identifier: "Asia/Shanghai")
        return zone?.format(harness.emulator.clock.now() / 1000) ?? ""
    }
}
