import Foundation
import JSON
import Testing

/// The built `tessera` executable next to the test bundle.
let tesseraBinary: String = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("tessera").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    return repositoryRoot + "/.build/debug/tessera"
}()

/// `tessera serve` as a child process on an ephemeral loopback port.
final class ServeProcess {
    let process = Process()
    let port: Int

    /// Starts the server on `data` and waits (up to 20 s) until it logs its port.
    init(data: String) async throws {
        let log = URL(fileURLWithPath: data + "-serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: tesseraBinary)
        process.arguments = [
            "serve", "--data", data, "--host", "127.0.0.1", "--port", "0", "--threads", "2", "--map-size", "256",
            "--ingest-token", ingestToken,
        ]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let r = text.range(of: #"http\.port=(\d+)"#, options: .regularExpression) {
                port = Int(text[r].dropFirst("http.port=".count))!
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "tessera serve did not start"])
    }

    /// SIGKILL: no shutdown code runs.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait.
    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

@Suite("Durability", .serialized)
struct CrashTests {
    /// Deltas stream in (each request: seq k for 40 users, each setting `orders` to k) while the server is
    /// SIGKILLed at a random moment. After a restart every acknowledged delta is there, profiles are
    /// consistent (orders == seq), nothing beyond what was sent exists, and an untouched profile is unchanged.
    @Test(arguments: [1, 2, 3])
    func everyAcknowledgedDeltaSurvivesSIGKILL(round: Int) async throws {
        let data = NSTemporaryDirectory() + "tessera-crash-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let compile = try await TransportHarness.run([
            tesseraBinary, "compile", "--data", data, "--map-size", "256", "--templates", repositoryRoot + "/Templates",
            "--mappings", repositoryRoot + "/Mappings",
        ])
        #expect(compile.status == 0, "\(compile.stderr)")

        let users = (0..<40).map { "k\($0)" }
        var server = try await ServeProcess(data: data)
        let base = "http://127.0.0.1:\(server.port)"
        let bystander = try await TransportHarness.run([
            "curl", "-sS", "--http2-prior-knowledge", "-H", "authorization: Bearer \(ingestToken)", "--data-binary",
            #"{"user":"bystander","seq":1,"ops":[{"op":"set","path":"first_name","value":"Bo"}]}"#,
            "\(base)/v1/profiles/deltas",
        ])
        #expect(bystander.stdout.contains(#""applied":1"#))

        let victim = server
        let killer = Task {
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...900)))
            victim.kill9()
        }
        var acknowledged = 0
        var sent = 0
        let file = NSTemporaryDirectory() + "crash-body-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: file) }
        for k in 1...2_000 {
            let body = users.map {
                #"{"user":"\#($0)","seq":\#(k),"ops":[{"op":"set","path":"orders","value":\#(k)}]}"#
            }
            .joined(separator: "\n")
            try Data(body.utf8).write(to: URL(fileURLWithPath: file))
            sent = k
            let out = try await TransportHarness.run(
                [
                    "curl", "-sS", "--http2-prior-knowledge", "-w", "\n%{http_code}", "-H",
                    "authorization: Bearer \(ingestToken)", "-H", "content-type: application/x-ndjson", "--data-binary",
                    "@\(file)", "\(base)/v1/profiles/deltas",
                ], timeout: .seconds(10))
            guard out.stdout.hasSuffix("\n200") else { break }
            #expect(out.stdout.contains(#""applied":40"#), "\(out.stdout)")
            acknowledged = k
        }
        try await killer.value
        #expect(acknowledged > 0, "some deltas were acknowledged before the kill")
        #expect(acknowledged < 2_000, "the kill happened while deltas streamed")

        server = try await ServeProcess(data: data)
        defer { server.stop() }
        let restarted = "http://127.0.0.1:\(server.port)"
        for user in users + ["bystander"] {
            let out = try await TransportHarness.run([
                "curl", "-sS", "--http2-prior-knowledge", "-H", "authorization: Bearer \(ingestToken)",
                "\(restarted)/v1/profiles/\(user)",
            ])
            let p = try JSONValue.parse(out.stdout)
            guard case .number(let seq)? = p["seq"] else {
                Issue.record("\(user): \(out.stdout)")
                continue
            }
            if user == "bystander" {
                #expect(p["attributes"] == .object([("first_name", .string("Bo"))]))
                #expect(seq == 1)
                continue
            }
            #expect(Int(seq) >= acknowledged, "\(user): acknowledged seq \(acknowledged) lost (stored \(seq))")
            #expect(Int(seq) <= sent, "\(user): seq \(seq) was never sent")
            #expect(p["attributes"]?["orders"] == .number(seq), "\(user): the record is one delta's state")
        }
    }
}
