// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "LeanStats",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "leanstats", targets: ["leanstats"]),
        .library(name: "LeanStatsCore", targets: ["LeanStatsCore"]),
        .library(name: "LeanStatsSnapshot", targets: ["LeanStatsSnapshot"]),
        .library(name: "LeanStatsImport", targets: ["LeanStatsImport"]),
        .library(name: "LeanStatsQuery", targets: ["LeanStatsQuery"]),
        .library(name: "LeanStatsReport", targets: ["LeanStatsReport"]),
        .library(name: "LeanStatsSync", targets: ["LeanStatsSync"]),
        .library(name: "LeanStatsEmulator", targets: ["LeanStatsEmulator"]),
        .library(name: "LeanStatsServer", targets: ["LeanStatsServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(name: "CXLSXWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .target(name: "LeanStatsCore"),
        .target(name: "LeanStatsSnapshot", dependencies: ["LeanStatsCore", "CZstd"]),
        .target(name: "LeanStatsImport", dependencies: ["LeanStatsCore", "LeanStatsSnapshot"]),
        .target(name: "LeanStatsQuery", dependencies: ["LeanStatsCore"]),
        .target(name: "LeanStatsReport", dependencies: ["LeanStatsCore", "LeanStatsQuery", "CXLSXWriter"]),
        .target(
            name: "LeanStatsSync",
            dependencies: [
                "LeanStatsCore", "LeanStatsImport", "LeanStatsSnapshot", "CCurl",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LeanStatsEmulator",
            dependencies: [
                "LeanStatsCore", "LeanStatsImport", "LeanStatsSnapshot",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ]
        ),
        .target(
            name: "LeanStatsService",
            dependencies: [
                "LeanStatsCore", "LeanStatsSnapshot", "LeanStatsQuery", "LeanStatsReport", "LeanStatsSync", "CCurl",
            ]
        ),
        .target(
            name: "LeanStatsServer",
            dependencies: [
                "LeanStatsCore", "LeanStatsQuery", "LeanStatsSnapshot", "LeanStatsReport", "LeanStatsSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "leanstats",
            dependencies: [
                "LeanStatsCore", "LeanStatsSnapshot", "LeanStatsImport", "LeanStatsQuery", "LeanStatsReport",
                "LeanStatsSync", "LeanStatsEmulator", "LeanStatsServer", "LeanStatsService", "CEdit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "LeanStatsTestSupport", dependencies: ["LeanStatsCore"], path: "Tests/LeanStatsTestSupport"),
        .testTarget(name: "LeanStatsCoreTests", dependencies: ["LeanStatsCore", "LeanStatsTestSupport"]),
        .testTarget(name: "LeanStatsSnapshotTests", dependencies: ["LeanStatsSnapshot", "LeanStatsTestSupport"]),
        .testTarget(name: "LeanStatsImportTests", dependencies: ["LeanStatsImport", "LeanStatsTestSupport"]),
        .testTarget(
            name: "LeanStatsQueryTests",
            dependencies: ["LeanStatsQuery", "LeanStatsTestSupport", "LeanStatsSnapshot", "LeanStatsImport"]
        ),
        .testTarget(
            name: "LeanStatsReportTests",
            dependencies: [
                "LeanStatsReport", "LeanStatsTestSupport", "LeanStatsImport",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(
            name: "LeanStatsSyncTests",
            dependencies: ["LeanStatsSync", "LeanStatsEmulator", "LeanStatsTestSupport", "LeanStatsImport"]
        ),
        .testTarget(
            name: "LeanStatsServiceTests",
            dependencies: ["LeanStatsService", "LeanStatsTestSupport", "LeanStatsEmulator", "LeanStatsImport"]
        ),
        .testTarget(
            name: "LeanStatsServerTests",
            dependencies: [
                "LeanStatsServer", "LeanStatsTestSupport", "LeanStatsImport", "LeanStatsSnapshot", "LeanStatsEmulator",
                "LeanStatsSync",
            ]
        ),
        .testTarget(
            name: "LeanStatsCLITests",
            dependencies: ["LeanStatsTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
