import Foundation
import LeanStatsEmulator
import LeanStatsSnapshot
import LeanStatsTestSupport
import Testing

/// A bad configuration gives one clear line on stderr and a non-zero exit, and leaves the store as it was.
@Suite(.serialized)
struct BadConfigurationTests {
    /// One broken configuration and what the error line must say.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let dingtalk: [String: String?]
        let sync: String
        let environment: [String: String]
        let expected: String

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "missing app key",
            dingtalk: ["app_key": nil],
            sync: "",
            environment: [:],
            expected: "dingtalk.app_key is not set"
        ),
        Case(
            name: "wrong secret",
            dingtalk: ["app_secret": "\"not-the-secret\""],
            sync: "",
            environment: [:],
            expected: "rejected the app credentials"
        ),
        Case(
            name: "unknown process code",
            dingtalk: ["process_code": "\"PROC-DOES-NOT-EXIST\""],
            sync: "",
            environment: [:],
            expected: "does not know the process code 'PROC-DOES-NOT-EXIST'"
        ),
        Case(
            name: "unreachable host",
            dingtalk: ["api_url": "\"http://127.0.0.1:9\"", "oapi_url": "\"http://127.0.0.1:9\""],
            sync: "retries = 2",
            environment: [:],
            expected: "cannot reach 127.0.0.1:9"
        ),
        Case(
            name: "wrong API family",
            dingtalk: ["api": "\"v2\""],
            sync: "",
            environment: [:],
            expected: "dingtalk.api must be v1 or legacy"
        ),
        Case(
            name: "bad number in the environment",
            dingtalk: [:],
            sync: "",
            environment: ["LEANSTATS_SYNC_QPS": "fast"],
            expected: "LEANSTATS_SYNC_QPS: sync.qps must be a whole number"
        ),
        Case(
            name: "wrong secret from the environment",
            dingtalk: [:],
            sync: "",
            environment: ["LEANSTATS_DINGTALK_APP_SECRET": "from-env-and-wrong"],
            expected: "rejected the app credentials"
        ),
    ]

    @Test(arguments: cases)
    func aBadConfigurationGivesOneClearLineAndLeavesTheStoreUntouched(_ broken: Case) async throws {
        let harness = try SyncHarness(records: SyncHarness.newest(20))
        defer { harness.tearDown() }
        let store = harness.store()
        let imported = try LeanStats.run(
            ["import", "--data", store, LeanStats.repositoryRoot + "/Data/ding_process_instances.csv"]
        )
        #expect(imported.status == 0, "\(imported.stderr)")
        let before = try Self.files(store)
        let config = try CLIConfig.write(harness, in: harness.directory, extra: broken.sync, dingtalk: broken.dingtalk)
        let result = try LeanStats.run(
            ["sync", "--config", config, "--data", store, "--now", CLIConfig.nowArgument(harness)],
            environment: broken.environment
        )
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(broken.expected), "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("leanstats: "))
        #expect(!result.stderr.contains(harness.emulator.options.appSecret))
        #expect(!result.stderr.contains("from-env-and-wrong") && !result.stderr.contains("not-the-secret"))
        #expect(result.stdout.isEmpty)
        #expect(try Self.files(store) == before, "the store changed")
    }

    @Test func aSecretFileReadableByOthersIsRefused() throws {
        let harness = try SyncHarness(records: SyncHarness.newest(5))
        defer { harness.tearDown() }
        let secretFile = try harness.directory.write("secret.txt", harness.emulator.options.appSecret + "\n")
        chmod(secretFile, 0o644)
        let config = try CLIConfig.write(
            harness,
            in: harness.directory,
            dingtalk: ["app_secret": nil, "app_secret_file": "\"\(secretFile)\""]
        )
        let refused = try LeanStats.run(["sync", "--config", config, "--data", harness.store(), "--dry-run"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("readable by group or others (mode 0644); run chmod 600"), "\(refused.stderr)")
        chmod(secretFile, 0o600)
        let accepted = try LeanStats.run(["sync", "--config", config, "--data", harness.store(), "--dry-run"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("API calls"))
    }

    @Test func aConfigFileHoldingASecretMustBePrivate() throws {
        let harness = try SyncHarness(records: SyncHarness.newest(5))
        defer { harness.tearDown() }
        let config = try CLIConfig.write(harness, in: harness.directory)
        chmod(config, 0o644)
        let result = try LeanStats.run(["sync", "--config", config, "--data", harness.store(), "--dry-run"])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("holds dingtalk.app_secret but is readable by group or others"),
            "\(result.stderr)"
        )
    }

    @Test func twoSyncsOnOneDataDirectoryCannotRunAtOnce() throws {
        let harness = try SyncHarness(records: SyncHarness.newest(5))
        defer { harness.tearDown() }
        let lock = try SnapshotStore(directory: harness.store()).lockForWriting("sync")
        let config = try CLIConfig.write(harness, in: harness.directory)
        let result = try LeanStats.run([
            "sync", "--config", config, "--data", harness.store(), "--now", CLIConfig.nowArgument(harness),
        ])
        withExtendedLifetime(lock) {}
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot sync: the data directory is in use by pid"), "\(result.stderr)")
    }

    /// The files of a directory with their contents.
    static func files(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name != "leanstats.lock" {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return files
    }
}
