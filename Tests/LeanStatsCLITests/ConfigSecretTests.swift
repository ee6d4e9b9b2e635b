import Foundation
import LeanStatsTestSupport
import Testing

/// An error about a secret key says what is wrong and where, but never shows the value, whatever the section and
/// whether the key is known (`app_secret`, `password`, `token`, and every `…_secret`, `…_password`, `…_token`).
struct ConfigSecretTests {
    static let secret = "Zq7-not-for-logs-41"

    /// One broken secret line and what the error must say instead of the value.
    struct Case: Sendable, CustomTestStringConvertible {
        let section: String
        let line: String
        let expected: String

        var testDescription: String { "[\(section)] \(line)" }
    }

    static let cases: [Case] = [
        Case(
            section: "dingtalk",
            line: "app_secret = \(secret)",
            expected: "leanstats.toml:3: the value of app_secret is not quoted (not shown: it is a secret); "
                + "write app_secret = \"…\""
        ),
        Case(
            section: "alerts",
            line: "password = \(secret)",
            expected: "leanstats.toml:3: the value of password is not quoted (not shown: it is a secret); "
                + "write password = \"…\""
        ),
        Case(
            section: "server",
            line: "token = [\(secret)]",
            expected: "leanstats.toml:3: the value of token is not quoted (not shown: it is a secret); "
                + "write token = \"…\""
        ),
        Case(
            section: "alerts",
            line: "smtp_password = \(secret)",
            expected: "the value of smtp_password is not quoted (not shown: it is a secret)"
        ),
        Case(
            section: "server",
            line: "api_token = \(secret)",
            expected: "the value of api_token is not quoted (not shown: it is a secret)"
        ),
        Case(
            section: "dingtalk",
            line: "client_secret = \(secret)",
            expected: "the value of client_secret is not quoted (not shown: it is a secret)"
        ),
        Case(
            section: "dingtalk",
            line: "app_secret = \"\(secret)\\q\(secret)\"",
            expected: "leanstats.toml:3: an unknown escape in the value of app_secret (not shown: it is a secret); "
                + "write \\\\ for a backslash, or use a literal string '…'"
        ),
    ]

    @Test(arguments: cases)
    func anErrorAboutASecretKeyNeverShowsTheValue(_ broken: Case) throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-config-secrets")
        defer { directory.remove() }
        let text = "# LeanStats\n[\(broken.section)]\n\(broken.line)\n"
        let config = try directory.write("leanstats.toml", text)
        chmod(config, 0o600)
        let output = try LeanStats.run(["sync", "--config", config, "--data", directory.file("data")])
        #expect(output.status != 0)
        let stderr = output.stderr.replacingOccurrences(of: config, with: "leanstats.toml")
        #expect(stderr.contains(broken.expected), "\(stderr)")
        #expect(!output.stderr.contains("Zq7"), "the secret leaked: \(output.stderr)")
        #expect(!output.stdout.contains("Zq7"))
    }

    @Test func anUnquotedValueOfAnOrdinaryKeyIsStillShown() throws {
        let directory = try TemporaryDirectory(prefix: "leanstats-config-secrets")
        defer { directory.remove() }
        let config = try directory.write("leanstats.toml", "[dingtalk]\napp_key = ding-key-7\n")
        chmod(config, 0o600)
        let output = try LeanStats.run(["sync", "--config", config, "--data", directory.file("data")])
        #expect(output.status != 0)
        #expect(output.stderr.contains("'ding-key-7' is not a value; quote strings"))
    }
}
