// swift-tools-version:6.0
import PackageDescription

/// One set of settings for every target (see STYLE.md).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // The request path crosses modules (Server -> Decision -> Targeting/Templating -> JSON): without full
    // cross-module optimization the condition evaluator runs unspecialized over the decision's scope (runtime
    // generic-metadata lookups were ~9% of a decide profile). Measured side by side against h2o:
    // decide +15%, 4 slots +19%, fragment +10% (Loadtest/benchmarks/results-2026-12-01-transport.md).
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "Targeting", targets: ["Targeting"]),
        .library(name: "Templating", targets: ["Templating"]),
        .library(name: "Decision", targets: ["Decision"]),
        .library(name: "BundleCompiler", targets: ["BundleCompiler"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Outcomes", targets: ["Outcomes"]),
        .library(name: "DemoData", targets: ["DemoData"]),
        // For the fuzz package (Fuzz/), which reaches the server's parsers and transport through these.
        .library(name: "Publishing", targets: ["Publishing"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C system libraries: only their wrapper modules import them.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CNghttp2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),

        // Thin Swift wrappers, one per C library.
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: swiftSettings),
        .target(name: "NGHTTP2", dependencies: ["CNghttp2"], swiftSettings: swiftSettings),

        // Pure logic: no NIO, no C.
        .target(name: "JSON", swiftSettings: swiftSettings),
        .target(name: "Templating", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .target(name: "Targeting", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .target(name: "Decision", dependencies: ["JSON", "Templating", "Targeting"], swiftSettings: swiftSettings),
        .target(
            name: "BundleCompiler",
            dependencies: ["JSON", "Templating", "Targeting", "Decision", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),

        // Deterministic demo profiles (with behaviour) for `tessera generate-profiles` and the persona tests.
        .target(name: "DemoData", dependencies: ["JSON", "Targeting"], swiftSettings: swiftSettings),

        // Storage: profiles, compiled bundles and metadata in one LMDB environment.
        .target(name: "Store", dependencies: ["LMDB", "Decision", "JSON", "Targeting"], swiftSettings: swiftSettings),

        // Thread-to-CPU pinning (glibc declares it only under _GNU_SOURCE).
        .target(name: "CAffinity"),

        // Outcomes: exposures, clicks and conversions per slot, variant and segment; experiment results.
        .target(
            name: "Outcomes",
            dependencies: [
                "CAffinity", "LMDB", "Store", "Decision", "JSON", "Targeting", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // Publishing: the one path by which content becomes a live revision (CLI compile, webhooks, rollback).
        .target(
            name: "Publishing", dependencies: ["BundleCompiler", "Decision", "Store", "JSON", "Targeting"],
            swiftSettings: swiftSettings
        ),

        // The server: channel handlers, routes, services.
        .target(
            name: "Server",
            dependencies: [
                "NGHTTP2", "Store", "Decision", "JSON", "Publishing", "BundleCompiler", "Templating", "Outcomes",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // The command-line tool.
        .executableTarget(
            name: "tessera",
            dependencies: [
                "Server", "Store", "Decision", "BundleCompiler", "JSON", "Publishing", "DemoData", "Targeting", "Outcomes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TemplatingTests", dependencies: ["Templating", "JSON"], resources: [.copy("Spec")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TargetingTests", dependencies: ["Targeting", "JSON"], resources: [.copy("Corpus")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DecisionTests", dependencies: ["Decision", "BundleCompiler", "Targeting", "JSON", "DemoData"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BundleCompilerTests", dependencies: ["BundleCompiler", "Decision", "JSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "Decision", "BundleCompiler", "Publishing", "JSON", "Targeting", "LMDB"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutcomesTests",
            dependencies: [
                "Outcomes", "Store", "Decision", "BundleCompiler", "Publishing", "JSON", "LMDB", "Targeting",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "NGHTTP2", "Store", "Decision", "BundleCompiler", "Publishing", "JSON", "Outcomes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
