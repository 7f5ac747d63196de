import Foundation
import JSON
import Server
import Store

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
        authorization: String? = "Bearer \(ingestToken)", headers: Bool = false
    ) async throws -> Answer {
        var args = ["curl", "-sS", "--http2-prior-knowledge", "-X", method, "-w", "\n%{http_code}"]
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

    /// The segments decide reports for `user` (no token needed).
    func segments(_ user: String, extra: String = "") async throws -> [String] {
        let a = try await call("GET", "/v1/decide?user=\(user)&slots=home.hero\(extra)", authorization: nil)
        guard case .array(let list)? = a.json["segments"] else { return [] }
        return list.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }
}

extension JSONValue {
    /// The statuses of a delta response's results, in order.
    var statuses: [String] {
        guard case .array(let results)? = self["results"] else { return [] }
        return results.map { if case .string(let s)? = $0["status"] { return s } else { return "?" } }
    }
}
