import Foundation
import LeanStatsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real browser signs in to `leanstats serve` through the emulator's DingTalk login, following every redirect
/// and keeping the cookies, and lands on a dashboard scoped to the head's departments.
@Suite(.serialized)
struct BrowserLoginTests {
    /// The Chromium executable, `nil` when it is not installed.
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// In the bundled sample's emulated tree, this department has two sub-departments below it and one above.
    static let headed = "仓储物流部"
    static let ownDepartments = ["仓储物流部", "销售部", "工艺部"]
    static let otherDepartments = ["生产部", "质量部", "设备部", "采购部", "人力资源部", "财务部", "研发部", "安环部", "计划部", "总装部"]

    @Test(
        .enabled(if: chromium != nil, "chromium is not installed here; apt-get install -y chromium (CI installs it)"),
        .timeLimit(.minutes(3))
    )
    func aDepartmentHeadSignsInWithABrowserAndSeesOnlyHisDepartments() throws {
        let chromium = try #require(Self.chromium)
        let directory = try TemporaryDirectory(prefix: "leanstats-browser")
        defer { directory.remove() }
        let store = directory.file("store")
        let imported = try LeanStats.run(["import", "--data", store] + CLITests.sample)
        #expect(imported.status == 0, "\(imported.stderr)")

        // Who heads the department: the emulator names the heads when it starts.
        let probe = try LeanStats.start(["emulator", "--sample", "--port", "0"])
        let announced = Self.read(probe.stderr, until: "emulator login:")
        // Killed outright: a stop signal that arrives before its handler is installed would be lost.
        kill(probe.process.processIdentifier, SIGKILL)
        probe.process.waitUntilExit()
        let head = try #require(Self.head(of: Self.headed, in: announced), "\(announced)")
        let name = try #require(Self.userName(of: head))

        let port = try Self.freePort()
        let emulator = try LeanStats.start([
            "emulator", "--sample", "--port", "0", "--login-as", head, "--public-url", "http://127.0.0.1:\(port)",
        ])
        defer {
            emulator.process.terminate()
            emulator.process.waitUntilExit()
        }
        let config = Self.read(emulator.stdout, until: "admins = [")
        #expect(config.contains("login = \"dingtalk\""))
        #expect(config.contains("public_url = \"http://127.0.0.1:\(port)\""))
        let configPath = try directory.write("leanstats.toml", config + "\n")
        chmod(configPath, 0o600)

        let serve = try LeanStats.start(
            ["serve", "--config", configPath, "--data", store, "--port", String(port)],
            environment: ["LEANSTATS_SERVER_TOKEN": "browser-test-token"]
        )
        defer {
            serve.process.terminate()
            serve.process.waitUntilExit()
        }
        let started = Self.read(serve.stderr, until: "serving ")
        #expect(started.contains("127.0.0.1:\(port)"), "\(started)")

        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: chromium)
        browser.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory.file("profile"))",
            "--dump-dom", "http://127.0.0.1:\(port)/login",
        ]
        let out = Pipe()
        browser.standardOutput = out
        browser.standardError = FileHandle.nullDevice
        try browser.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        browser.waitUntilExit()

        #expect(dom.contains("精益提案看板"), "\(dom.prefix(400))")
        #expect(dom.contains("\(name)（\(Self.headed)负责人）"))
        for own in Self.ownDepartments {
            let shown = dom.contains("<option value=\"\(own)\"")
            #expect(shown, "the department picker offers \(own)")
        }
        for other in Self.otherDepartments {
            let shown = dom.contains(other)
            #expect(!shown, "the dashboard shows \(other)")
        }
    }

    /// Reads a pipe until `marker` appears (or the writer closes it).
    static func read(_ pipe: Pipe, until marker: String) -> String {
        var text = ""
        while !text.contains(marker) {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        return text
    }

    /// The user id the emulator names as the head of a department (`u0000003 (仓储物流部)`).
    static func head(of department: String, in text: String) -> String? {
        guard let range = text.range(of: " (\(department))") else { return nil }
        return text[..<range.lowerBound].split(whereSeparator: { $0 == " " || $0 == "," }).last.map(String.init)
    }

    /// The user's name in the bundled sample.
    static func userName(of userId: String) -> String? {
        let path = LeanStats.repositoryRoot + "/Data/ding_process_instances.csv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if fields.count > 8, fields[7] == userId { return String(fields[8]) }
        }
        return nil
    }

    /// No loopback port could be bound.
    struct PortError: Error {}

    /// A loopback port nothing listens on now.
    static func freePort() throws -> UInt16 {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw PortError() }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}
