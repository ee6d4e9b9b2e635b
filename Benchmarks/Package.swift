// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so the main build and test run never compile ordo-one/benchmark.
// Run: cd Benchmarks && swift package benchmark   (LEANSTATS_BENCH_ROWS=10000000 for the 10M-row set)
let package = Package(
    name: "LeanStatsBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "LeanStats", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StatisticsBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LeanStatsCore", package: "LeanStats"),
            ],
            path: "Benchmarks/StatisticsBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LeanStatsCore", package: "LeanStats"),
                .product(name: "LeanStatsImport", package: "LeanStats"),
                .product(name: "LeanStatsSnapshot", package: "LeanStats"),
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "JournalBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LeanStatsCore", package: "LeanStats"),
                .product(name: "LeanStatsSnapshot", package: "LeanStats"),
            ],
            path: "Benchmarks/JournalBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
