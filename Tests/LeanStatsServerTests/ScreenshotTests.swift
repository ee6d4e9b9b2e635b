import Foundation
import Testing

/// A headless-Chromium screenshot of the dashboard, at desktop and phone widths.
///
/// Skipped (with the reason printed) where Chromium is not installed, as on CI. Set
/// `LEANSTATS_SCREENSHOT_DIR` to keep the pictures (the README's `docs/dashboard.png` comes from here).
@Suite struct ScreenshotTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, "Chromium is not installed (apt-get install chromium); no screenshot taken"))
    func theDashboardRendersInAHeadlessBrowser() async throws {
        let fixture = try await ServerFixture()
        let keep = ProcessInfo.processInfo.environment["LEANSTATS_SCREENSHOT_DIR"]
        for (name, size) in [("dashboard.png", "1280,1000"), ("dashboard-phone.png", "375,2400")] {
            let output = keep.map { "\($0)/\(name)" } ?? fixture.directory.file(name)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try #require(Self.chromium))
            process.arguments = [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=\(fixture.directory.file("chromium-\(name)"))", "--window-size=\(size)",
                "--screenshot=\(output)", "http://127.0.0.1:\(fixture.port)/?token=\(ServerFixture.token)",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let data = try #require(FileManager.default.contents(atPath: output))
            #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            #expect(data.count > 20_000, "a blank page would compress to almost nothing")
        }
    }
}
