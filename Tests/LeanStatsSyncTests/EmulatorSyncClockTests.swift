import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSync
import Testing

/// `--now emulator`: the sync clock follows the emulator's emulated clock over HTTP.
struct EmulatorSyncClockTests {
    /// 2025-12-01 00:00 Beijing, epoch milliseconds.
    static let start: Int64 = 1_764_518_400_000

    @Test func theClockFollowsTheEmulatorWhenItsPlantJumpsAhead() async throws {
        let emulator = try DingTalkEmulator(
            dataset: EmulatorDataset(instances: []),
            clock: EmulatorClock(now: Self.start)
        )
        let server = try EmulatorServer(emulator: emulator)
        defer { server.stop() }
        let clock = try EmulatorSyncClock(baseURL: server.baseURL + "/")
        #expect(abs(clock.now() - emulator.clock.now()) < 1000)

        emulator.clock.advance(byMilliseconds: 12 * 3_600_000)
        try await Task.sleep(for: .milliseconds(300))
        let followed = clock.now()
        #expect(abs(followed - emulator.clock.now()) < 1000, "\(followed) vs \(emulator.clock.now())")
        #expect(clock.now() >= followed, "it never goes back")
    }

    @Test func anEmulatorThatDoesNotAnswerIsAConfigurationErrorNamingTheFix() throws {
        let error = #expect(throws: SyncError.self) { try EmulatorSyncClock(baseURL: "http://127.0.0.1:9") }
        #expect(error?.code == .configuration)
        #expect(error?.description.contains("start `leanstats emulator`") == true, "\(String(describing: error))")
    }
}
