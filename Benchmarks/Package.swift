// swift-tools-version:6.1
import PackageDescription

// Microbenchmarks for Tessera (ordo-one/benchmark). A separate package so the root package's
// `swift build` / `swift test` and CI never resolve or build the benchmark dependencies.
//
//     cd Benchmarks && swift package --disable-sandbox benchmark --no-progress
//
// See Loadtest/benchmarks/README.md for the recorded results.
let package = Package(
    name: "TesseraBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .executableTarget(
            name: "DecisionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "JSON", package: "main"),
                .product(name: "Targeting", package: "main"),
                .product(name: "Templating", package: "main"),
                .product(name: "Decision", package: "main"),
                .product(name: "BundleCompiler", package: "main"),
                .product(name: "Store", package: "main"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Benchmarks/DecisionBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
