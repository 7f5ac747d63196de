import Foundation
import JSON
import Server
import Store
import Testing

/// The ingest token the delta tests configure.
let ingestToken = "test-token-7f3a9c"

/// A clock tests move by hand (epoch seconds), injected into the server's decisions and its writer.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double

    /// A clock reading `start`.
    init(_ start: Double) { seconds = start }

    /// The current reading.
    var now: Double { lock.withLock { seconds } }

    /// Moves the clock by `delta` seconds.
    func advance(_ delta: Double) { lock.withLock { seconds += delta } }

    /// A server configuration step that uses this clock and the test token.
    func configure(_ c: inout DecisionServerConfiguration) {
        c.ingestToken = ingestToken
        c.clock = { [self] in now }
        c.writer.clock = { [self] in now }
    }
}

/// An HTTP answer: status and body.
struct Answer {
    var status: Int
    var body: String
    /// The body as JSON (or `null` when it is not JSON).
    var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
}

extension RunningServer {
    /// Sends `method path` over HTTP/2 with curl; `body` is sent byte for byte (`--data-binary`).
    func call(
        _ method: String, _ path: String, body: String? = nil, contentType: String = "application/x-ndjson",
        authorization: String? = "Bearer \(ingestToken)", headers: Bool = false, http1: Bool = false
    ) async throws -> Answer {
        var args = ["curl", "-sS", http1 ? "--http1.1" : "--http2-prior-knowledge", "-X", method, "-w", "\n%{http_code}"]
        if headers { args.append("-i") }
        if let authorization { args += ["-H", "authorization: \(authorization)"] }
        if let body {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("delta-\(UUID().uuidString)")
            try Data(body.utf8).write(to: file)
            args += ["-H", "content-type: \(contentType)", "--data-binary", "@\(file.path)"]
        }
        args.append(base + path)
        let out = try await TransportHarness.run(args)
        guard let cut = out.stdout.lastIndex(of: "\n"), let status = Int(out.stdout[out.stdout.index(after: cut)...])
        else { return Answer(status: -1, body: out.stdout + out.stderr) }
        return Answer(status: status, body: String(out.stdout[..<cut]))
    }

    /// Posts NDJSON deltas, one per element of `lines`.
    func deltas(_ lines: [String]) async throws -> Answer {
        try await call("POST", "/v1/profiles/deltas", body: lines.joined(separator: "\n") + "\n")
    }

    /// `GET /v1/profiles/{user}`.
    func storedProfile(_ user: String) async throws -> Answer {
        try await call("GET", "/v1/profiles/\(user)")
    }

    /// The segments decide reports for `user` (no token needed). A failed decide is a test failure, not an
    /// empty list (an empty list would let every "is not in segment X" check pass while decide is broken).
    func segments(_ user: String, extra: String = "") async throws -> [String] {
        let a = try await call("GET", "/v1/decide?user=\(user)&slots=home.hero\(extra)", authorization: nil)
        #expect(a.status == 200, "decide for \(user) failed: \(a.body)")
        let list = try #require(a.json["segments"]?.arrayElements, "no segments in \(a.body)")
        return try list.map { try #require($0.stringValue, "segment ids are strings: \(a.body)") }
    }
}

extension JSONValue {
    /// The statuses of a delta response's results, in order; a response without results records a failure.
    var statuses: [String] {
        guard let results = self["results"]?.arrayElements else {
            Issue.record("no results in \(jsonText)")
            return []
        }
        return results.map { $0["status"]?.stringValue ?? "?" }
    }

    /// The elements, if this is an array.
    var arrayElements: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The string, if this is one.
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
