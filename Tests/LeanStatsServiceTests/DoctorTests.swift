import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsSnapshot
import LeanStatsSync
import LeanStatsTestSupport
import Testing

@testable import LeanStatsService

struct DoctorTests {
    /// An emulator with a few instances, and settings pointing at it.
    private func emulator() throws -> (EmulatorServer, SyncSettings) {
        let records = Array(randomInstances(count: 20, seed: 3))
        var options = EmulatorOptions()
        options.qps = 400
        let emulator = try DingTalkEmulator(dataset: EmulatorDataset(instances: records), options: options)
        let server = try EmulatorServer(emulator: emulator)
        var settings = SyncSettings()
        settings.api = .v1
        settings.apiURL = server.baseURL
        settings.oapiURL = server.baseURL
        settings.appKey = options.appKey
        settings.appSecret = options.appSecret
        settings.processCodes = [options.processCode]
        return (server, settings)
    }

    private func check(_ checks: [DoctorCheck], _ name: String) -> DoctorCheck {
        checks.first { $0.name == name } ?? DoctorCheck(name, .fail, "missing check")
    }

    @Test func aGoodSetUpPassesEveryCheck() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-doctor")
        defer { directory.remove() }
        let (server, settings) = try emulator()
        defer { server.stop() }
        let month = try ZoneClock(identifier: "Asia/Shanghai").date(at: Int64(Date().timeIntervalSince1970)).monthText
        _ = try ServiceFixtures.store(
            at: directory.file("data"),
            count: 50,
            metadata: ["sync.quota": "{\"\(month)\":120}"]
        )
        let secret = try directory.write("smtp-password", "pw")
        chmod(secret, 0o600)
        var doctor = Doctor(dataDirectory: directory.file("data"))
        doctor.configSource = "leanstats.toml"
        doctor.sync = settings
        doctor.secretFiles = [("alerts.password_file", secret)]
        doctor.mail = MailSettings(
            url: "smtp://127.0.0.1:2525",
            tls: .off,
            from: "a@example.com",
            to: ["b@example.com"]
        )
        doctor.chineseFonts = { ["Noto Sans CJK SC"] }
        let checks = await doctor.run()
        #expect(
            checks.map(\.name) == [
                "config", "secrets", "data", "snapshots", "timezone", "dingtalk", "quota", "plan", "fonts",
                "mail",
            ]
        )
        for result in checks { #expect(result.status == .ok, "\(result.line)") }
        #expect(check(checks, "quota").message.contains("120 of 5000"))
        #expect(check(checks, "plan").message.hasPrefix("projected "))
        #expect(!Doctor.mustFix(checks))
    }

    @Test func aBadSetUpSaysWhatToFixForEachProblem() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-doctor")
        defer { directory.remove() }
        let (server, good) = try emulator()
        defer { server.stop() }
        let store = try ServiceFixtures.store(at: directory.file("data"), count: 50)
        // Damage the only generation.
        let path = store.path(ofGeneration: store.generations()[0])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let secret = try directory.write("secret", "s")
        chmod(secret, 0o644)
        var settings = good
        settings.appSecret = "wrong"
        var doctor = Doctor(dataDirectory: directory.file("data"))
        doctor.configProblem = "config error: leanstats.toml:3: unexpected text after the value"
        doctor.secretFiles = [("dingtalk.app_secret_file", secret)]
        doctor.zoneIdentifier = "Mars/Olympus"
        doctor.sync = settings
        doctor.mail = MailSettings(
            url: "smtp://mail.example.com:25",
            tls: .off,
            from: "a@example.com",
            to: ["b@example.com"]
        )
        doctor.chineseFonts = { [] }
        let checks = await doctor.run()
        #expect(check(checks, "config").status == .fail)
        #expect(check(checks, "secrets").status == .fail && check(checks, "secrets").message.contains("chmod 600"))
        #expect(
            check(checks, "snapshots").status == .fail
                && check(checks, "snapshots").message.contains("restore a backup")
        )
        #expect(check(checks, "timezone").status == .fail)
        #expect(check(checks, "dingtalk").status == .fail && check(checks, "dingtalk").message.contains("app_key"))
        #expect(check(checks, "fonts").status == .warn && check(checks, "fonts").message.contains("fonts-noto-cjk"))
        #expect(check(checks, "mail").status == .fail && check(checks, "mail").message.contains("loopback"))
        #expect(Doctor.mustFix(checks))
    }

    @Test func anUnreachableHostAndAMissingDataDirectoryAreReported() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-doctor")
        defer { directory.remove() }
        let (server, settings) = try emulator()
        server.stop()
        let notADirectory = try directory.write("file", "x")
        var doctor = Doctor(dataDirectory: notADirectory)
        doctor.sync = settings
        doctor.timeoutSeconds = 2
        doctor.chineseFonts = { nil }
        let checks = await doctor.run()
        #expect(check(checks, "data").status == .fail && check(checks, "data").message.contains("not a directory"))
        #expect(check(checks, "dingtalk").status == .fail && check(checks, "dingtalk").message.contains("check DNS"))
        #expect(check(checks, "fonts").status == .warn)
        #expect(check(checks, "mail").status == .warn)
        doctor.dataDirectory = directory.file("fresh")
        doctor.sync = nil
        let fresh = await doctor.run()
        #expect(check(fresh, "data").status == .warn && check(fresh, "snapshots").status == .warn)
        #expect(
            check(fresh, "dingtalk").status == .warn
                && check(fresh, "dingtalk").message.contains("scheduled sync is off")
        )
    }

    @Test func aScheduleOverTheBudgetIsAWarningThatSaysWhatWouldFit() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-doctor")
        defer { directory.remove() }
        var builder = InstanceTableBuilder()
        for record in steadyPlant() { _ = builder.upsert(record) }
        _ = try SnapshotStore(directory: directory.file("data")).write(builder.build())
        var doctor = Doctor(dataDirectory: directory.file("data"))
        var settings = SyncSettings()
        settings.appKey = "key"
        settings.appSecret = "secret"
        settings.monthlyCallBudget = 9000
        doctor.sync = settings
        doctor.schedule.weeklyFull = try Schedule(parsing: "every 2160h")
        let zone = try ZoneClock(identifier: "Asia/Shanghai")
        let over = doctor.planCheck(zone: zone)
        #expect(over.status == .warn)
        #expect(over.message.hasPrefix("projected 14453 API calls a month"), "\(over.message)")
        #expect(over.message.contains("5453 over; incremental sync every 3 days"))
        doctor.sync?.monthlyCallBudget = 20_000
        #expect(doctor.planCheck(zone: zone).status == .ok)
        doctor.sync = nil
        #expect(doctor.planCheck(zone: zone).message.contains("scheduled sync is off"))
    }

    @Test func instancesBeyondDingTalksYearAreNamedAsNoLongerRefreshable() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-doctor")
        defer { directory.remove() }
        _ = try ServiceFixtures.store(at: directory.file("data"), count: 20)
        var doctor = Doctor(dataDirectory: directory.file("data"))
        doctor.now = { 4_102_444_800 }  // 2100-01-01: every instance is out of DingTalk's reach
        let (snapshots, _) = doctor.snapshotCheck()
        #expect(snapshots.status == .ok)
        #expect(snapshots.message.contains("20 instances were created more than 365 days ago"))
        #expect(snapshots.message.contains("can no longer be refreshed"))
        doctor.now = { 0 }  // 1970: nothing is out of reach
        #expect(!doctor.snapshotCheck().0.message.contains("365 days"))
    }

    @Test func anUnreachableContactsHostFailsEvenWithGoodCredentials() async throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-doctor")
        defer { directory.remove() }
        let (server, good) = try emulator()
        defer { server.stop() }
        var settings = good
        settings.oapiURL = "http://127.0.0.1:1"
        var doctor = Doctor(dataDirectory: directory.path)
        doctor.sync = settings
        doctor.chineseFonts = { ["Noto Sans CJK SC"] }
        let result = check(await doctor.run(), "dingtalk")
        #expect(result.status == .fail && result.message.contains("(contacts) cannot be reached"))
    }

    @Test(arguments: [(100, DoctorCheck.Status.ok), (4_600, .warn), (5_000, .fail)])
    func theQuotaLeftIsJudgedAgainstTheBudget(used: Int, status: DoctorCheck.Status) {
        let result = Doctor.quota(metadata: ["sync.quota": "{\"2025-11\":\(used)}"], month: "2025-11", budget: 5000)
        #expect(result.status == status)
        #expect(result.message.contains("\(used) of 5000"))
        #expect(!result.message.contains("pushes"), "no pushes counted, none shown")
    }

    @Test func theQuotaLineShowsThisMonthsStreamPushesAgainstTheirBudget() {
        let metadata = ["sync.quota": #"{"2025-11":100}"#, "stream.pushes": #"{"2025-10":2999,"2025-11":1200}"#]
        let result = Doctor.quota(metadata: metadata, month: "2025-11", budget: 5000, pushBudget: 3000)
        #expect(result.status == .ok)
        #expect(result.message.hasSuffix("; 1200 of 3000 Stream pushes (sync.monthly_push_budget)"))
        let over = Doctor.quota(metadata: metadata, month: "2025-11", budget: 5000, pushBudget: 1000)
        #expect(over.status == .warn)
        #expect(over.message.contains("1200 of 1000 Stream pushes (sync.monthly_push_budget), over"))
    }
}
