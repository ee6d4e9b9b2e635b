import Foundation
import LeanStatsTestSupport
import Testing

/// A key or section the tool does not read gets one warning line naming the file, the line and what was probably
/// meant, in every section of `docs/configuration.md`; the keys it does read get none.
struct ConfigWarningTests {
    /// The warning lines `leanstats doctor` prints for a configuration.
    private func warnings(_ text: String) throws -> [String] {
        let directory = try TemporaryDirectory(prefix: "leanstats-config-warnings")
        defer { directory.remove() }
        let config = try directory.write("leanstats.toml", text)
        chmod(config, 0o600)
        let output = try LeanStats.run(["doctor", "--config", config, "--data", directory.file("data")])
        return output.stderr.split(separator: "\n").map(String.init).filter { $0.contains("warning") }
            .map { $0.replacingOccurrences(of: config, with: "leanstats.toml") }
    }

    /// Every key the configuration readers look at, with a valid value.
    static let everyKnownKey = """
        [dingtalk]
        api = "v1"
        api_url = "http://127.0.0.1:9"
        oapi_url = "http://127.0.0.1:9"
        app_key = "key"
        process_code = ["PROC-1"]
        [sync]
        qps = 15
        timeout_s = 30
        retries = 5
        monthly_call_budget = 5000
        concurrency = 4
        batch_size = 200
        backoff_ms = 200
        backoff_max_ms = 5000
        list_cap = 10000
        max_response_mib = 16
        contacts = true
        [schedule]
        daily = "02:00"
        weekly_full = "sun 03:00"
        monthly_report = "1 08:00"
        [alerts]
        smtp_url = "smtp://127.0.0.1:9"
        tls = "off"
        username = "leanstats"
        password = "not-used"
        from = "LeanStats <leanstats@example.com>"
        to = ["ops@example.com"]
        stale_after_h = 48
        timeout_s = 5
        [alerts.thresholds]
        sync_duration_s = 1800
        api_error_rate_pct = 5
        query_latency_ms = 2000
        snapshot_size_mb = 2048
        [report]
        to = ["manager@example.com"]
        [server]
        host = "127.0.0.1"
        port = 8080
        token = "not-used"
        allowed_hosts = ["stats.example.com"]

        """

    @Test func everyKeyTheReadersUseIsKnown() throws {
        #expect(try warnings(Self.everyKnownKey) == [])
    }

    @Test(arguments: [
        ("[schedule]\ndayly = \"02:00\"\n", "leanstats.toml:2: unknown key schedule.dayly; did you mean daily?"),
        (
            "[schedule]\nmonthly_reprot = \"1 08:00\"\n",
            "leanstats.toml:2: unknown key schedule.monthly_reprot; did you mean monthly_report?"
        ),
        ("[alerts]\nsmtp_ur = \"smtp://x\"\n", "leanstats.toml:2: unknown key alerts.smtp_ur; did you mean smtp_url?"),
        (
            "[alerts]\n\nquery_latency_ms = 800\n",
            "leanstats.toml:3: unknown key alerts.query_latency_ms; it belongs in [alerts.thresholds]"
        ),
        (
            "[alerts.thresholds]\nquery_latncy_ms = 800\n",
            "leanstats.toml:2: unknown key alerts.thresholds.query_latncy_ms; did you mean query_latency_ms?"
        ),
        ("[report]\ntoo = [\"a@example.com\"]\n", "leanstats.toml:2: unknown key report.too; did you mean to?"),
        ("[server]\nprot = 8080\n", "leanstats.toml:2: unknown key server.prot; did you mean port?"),
        (
            "[server]\ntoken_flie = \"/etc/x\"\n",
            "leanstats.toml:2: unknown key server.token_flie; did you mean token_file?"
        ),
        ("[shedule]\ndaily = \"02:00\"\n", "leanstats.toml:2: unknown section [shedule]; did you mean [schedule]?"),
        (
            "daily = \"02:00\"\n",
            "leanstats.toml:1: keys outside any section; put them under [dingtalk], [sync], [schedule], [alerts], "
                + "[report] or [server]"
        ),
    ])
    func aTypoGetsOneWarningWithWhatWasMeant(_ text: String, _ expected: String) throws {
        #expect(try warnings(text) == ["leanstats: warning: " + expected])
    }

    /// With DingTalk credentials `doctor` reads the sync settings too; the file is still read (and warned about)
    /// once.
    @Test func warningsComeInFileOrderAndOnlyOnce() throws {
        let found = try warnings(
            """
            [server]
            prot = 1
            [schedule]
            dayly = "02:00"
            [alerts]
            too = ["x"]
            [dingtalk]
            app_key = "key"
            app_secret = "secret"
            api_url = "http://127.0.0.1:9"
            oapi_url = "http://127.0.0.1:9"
            process_code = "PROC-1"
            [sync]
            retries = 0

            """
        )
        #expect(found.count == 3, "\(found)")
        #expect(found.map { $0.split(separator: ":")[3] } == ["2", "4", "6"], "\(found)")
    }
}
