import Foundation
import LeanStatsTestSupport
import Testing

/// The options the Stream month benchmark drives the binaries with, refused with a reason when they make no sense.
struct BenchmarkOptionTests {
    @Test(arguments: [
        (["listen", "--catch-up-every", "0"], "--catch-up-every must be between 0.1 and 31536000 seconds"),
        (["listen", "--catch-up-every", "5", "--no-catch-up"], "give either --catch-up-every or --no-catch-up"),
        (["serve", "--catch-up-every", "0.01"], "--catch-up-every must be between 0.1 and 31536000 seconds"),
        (["emulator", "--sample", "--plant-paused"], "--plant-paused needs --plant"),
    ])
    func badBenchmarkOptionsAreUsageErrorsNamingTheOption(arguments: [String], message: String) throws {
        let result = try LeanStats.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func syncWithNowEmulatorAndNoEmulatorSaysHowToStartOne() throws {
        let directory = try TemporaryDirectory()
        let config = directory.file("leanstats.toml")
        try """
        [dingtalk]
        api_url = "http://127.0.0.1:9"
        oapi_url = "http://127.0.0.1:9"
        app_key = "key"
        app_secret = "secret"
        process_code = "PROC-1"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        let result = try LeanStats.run(
            ["sync", "--config", config, "--data", directory.file("store"), "--now", "emulator"]
        )
        #expect(result.status == 1)
        #expect(result.stderr.contains("--now emulator could not read the emulator's clock"), "\(result.stderr)")
    }
}
