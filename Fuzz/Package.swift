// swift-tools-version:6.0
import Foundation
import PackageDescription

// libFuzzer targets for Tessera's input surfaces: one executable per parser or wire format.
// A separate package (like Benchmarks/) so the root package's build, tests and CI are untouched;
// it depends on the root package by path and reaches internal parsers through `@testable import`.
// Built and run by scripts/fuzz, which passes the sanitizer flags:
//
//     swift build --scratch-path ../.build-fuzz -Xswiftc -sanitize=fuzzer,address \
//         -Xswiftc -parse-as-library -Xswiftc -enable-testing
//
// See the Fuzzing section of README.md.

/// The root package's identity: SwiftPM names a path dependency after its directory (`main`, a worktree's
/// name, CI's clone folder), so it is read from where this manifest sits rather than written down.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

/// One fuzz target: an executable whose entry point is `LLVMFuzzerTestOneInput`.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: swiftSettings)
}

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "TesseraFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver for FuzzSupport.
        .target(name: "CFuzzerDriver"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "JSON", package: root),
                .product(name: "Decision", package: root),
                .product(name: "BundleCompiler", package: root),
            ],
            swiftSettings: swiftSettings
        ),
        fuzzTarget("FuzzJSON", [.product(name: "JSON", package: root)]),
        fuzzTarget(
            "FuzzFeedback",
            [.product(name: "Outcomes", package: root), .product(name: "Decision", package: root)]),
        fuzzTarget(
            "FuzzDelta",
            [
                .product(name: "JSON", package: root), .product(name: "Decision", package: root),
                .product(name: "Server", package: root), .product(name: "NIOCore", package: "swift-nio"),
            ]),
        fuzzTarget(
            "FuzzSegmentSpec",
            [.product(name: "JSON", package: root), .product(name: "Decision", package: root)]),
        fuzzTarget(
            "FuzzImport",
            [.product(name: "JSON", package: root), .product(name: "Decision", package: root)]),
        fuzzTarget(
            "FuzzCondition",
            [.product(name: "JSON", package: root), .product(name: "Targeting", package: root)]),
        fuzzTarget(
            "FuzzTemplate",
            [.product(name: "JSON", package: root), .product(name: "Templating", package: root)]),
        fuzzTarget(
            "FuzzBundle",
            [
                .product(name: "BundleCompiler", package: root), .product(name: "Decision", package: root),
            ]),
        fuzzTarget(
            "FuzzWebhook",
            [
                .product(name: "JSON", package: root), .product(name: "BundleCompiler", package: root),
                .product(name: "Decision", package: root), .product(name: "Server", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        fuzzTarget(
            "FuzzQuery",
            [
                .product(name: "Decision", package: root), .product(name: "Server", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        fuzzTarget(
            "FuzzHTTP",
            [
                .product(name: "Server", package: root), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
