import Foundation
import JSON
import Testing

/// The open-loop load generator (`Loadtest/openloop`, C on libnghttp2) against the real server: it is built
/// here from source, so the harness's latency figures come from a tool the test suite exercises.
@Suite("Open-loop load generator", .serialized)
struct LoadGeneratorTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Loadtest/openloop")

    /// Builds the generator (make, with cc or else the toolchain's clang) and returns its path.
    static func build() async throws -> String {
        let which = try await TransportHarness.run(["sh", "-c", "command -v cc || command -v clang"])
        let compiler = which.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!compiler.isEmpty, "no C compiler (cc or clang) on PATH")
        let make = try await TransportHarness.run(
            ["make", "-s", "-C", directory.path, "CC=\(compiler)"], timeout: .seconds(120))
        try #require(make.status == 0, "building the generator failed: \(make.stderr)")
        return directory.appendingPathComponent("build/openloop").path
    }

    /// Runs the generator with `arguments` and returns its exit status and JSON summary.
    static func run(_ generator: String, _ arguments: [String]) async throws -> (Int32, JSONValue) {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("openloop-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let out = try await TransportHarness.run([generator, "--json", json.path] + arguments)
        let summary = try JSONValue.parse(String(decoding: try Data(contentsOf: json), as: UTF8.self))
        return (out.status, summary)
    }

    static func number(_ value: JSONValue?) -> Double {
        if case .number(let n)? = value { return n }
        return -1
    }

    @Test func closedAndOpenLoopRunsCountEveryAnswer() async throws {
        let generator = try await Self.build()
        try await withServer(users: 20) { server in
            // Closed loop: 2 connections x 4 streams for one second.
            let (closedStatus, closed) = try await Self.run(generator, ["-c", "2", "-m", "4", "-D", "1", "\(server.base)/healthz"])
            #expect(closedStatus == 0, "\(closed.jsonText)")
            let completed = Self.number(closed["requests"]?["completed"])
            #expect(completed > 100, "\(closed.jsonText)")
            #expect(Self.number(closed["status"]?["2xx"]) == completed)
            #expect(Self.number(closed["requests"]?["errors"]) == 0)
            #expect(Self.number(closed["latency_us"]?["count"]) == completed)

            // Open loop: 2,000 req/s over 2 connections for one second; every scheduled request is sent and
            // answered, the achieved rate is the target, and latency is counted for each.
            let (openStatus, open) = try await Self.run(
                generator, ["-c", "2", "-r", "2000", "-D", "1", "--warm-up", "0.2", "\(server.base)/v1/decide?user=u1&slots=home.hero"])
            #expect(openStatus == 0, "\(open.jsonText)")
            let answered = Self.number(open["requests"]?["completed"])
            #expect(abs(answered - 2000) <= 100, "\(open.jsonText)")
            #expect(abs(Self.number(open["achieved_rate"]) - 2000) <= 200, "\(open.jsonText)")
            #expect(Self.number(open["requests"]?["unsent"]) == 0)
            #expect(Self.number(open["status"]?["2xx"]) == answered)
            #expect(Self.number(open["latency_us"]?["count"]) == answered)
            #expect(Self.number(open["latency_us"]?["p50"]) > 0)

            // A route that answers 404: counted as non-2xx, and the exit status says so.
            let (missingStatus, missing) = try await Self.run(generator, ["-c", "1", "-m", "1", "-D", "0.5", "\(server.base)/nope"])
            #expect(missingStatus == 1, "\(missing.jsonText)")
            #expect(Self.number(missing["status"]?["4xx"]) > 0)
            #expect(Self.number(missing["status"]?["2xx"]) == 0)
        }
    }

    @Test func onlyLoopbackIsAccepted() async throws {
        let generator = try await Self.build()
        let out = try await TransportHarness.run([generator, "-c", "1", "-D", "1", "http://192.0.2.1:80/"])
        #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
    }
}
