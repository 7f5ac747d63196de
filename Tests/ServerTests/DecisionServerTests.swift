import BundleCompiler
import Decision
import Foundation
import JSON
import Logging
import Prometheus
import Publishing
import Server
import ServiceLifecycle
import Store
import Testing

/// The repository root (for the demo bundle).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A real decision server on 127.0.0.1:<ephemeral> over a fresh data directory holding the demo bundle
/// and `users` profiles, run in a `ServiceGroup` like `tessera serve`.
final class RunningServer: Sendable {
    let store: DataStore
    let directory: String
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let bundle: CompiledBundle

    static func start(
        users: Int = 120, maxBodySize: Int = 1 << 20,
        configure: (inout DecisionServerConfiguration) -> Void = { _ in }
    ) async throws -> RunningServer {
        let directory = NSTemporaryDirectory() + "tessera-server-test-" + UUID().uuidString
        var options = DataStore.Options()
        options.mapSize = 256 << 20
        let store = try DataStore(path: directory, options: options)
        let sources = try BundleSources.load(
            templates: repositoryRoot + "/Templates", mappings: repositoryRoot + "/Mappings")
        let (_, bundle) = try ContentPublisher(store: store).publish(sources: sources, origin: .compile)
        var lines = RunningServer.profiles(count: users).makeIterator()
        let summary = try ProfileImporter(store: store, bundle: bundle).run(lines: {
            lines.next().map { Array($0.utf8) }
        })
        precondition(summary.rejected.isEmpty, "fixture profiles rejected: \(summary.rejected)")

        var configuration = DecisionServerConfiguration()
        configuration.http.host = "127.0.0.1"
        configuration.http.port = 0
        configuration.http.eventLoopThreads = 2
        configuration.http.maxRequestBodySize = maxBodySize
        configuration.revisionPollInterval = .milliseconds(100)
        configure(&configuration)
        var logger = Logger(label: "server-test")
        logger.logLevel = .warning
        let server = DecisionServer(
            store: store, configuration: configuration, logger: logger, registry: PrometheusCollectorRegistry())
        let group = ServiceGroup(services: [server], logger: logger)
        let task = Task { try await group.run() }
        let port = try await server.port()
        return RunningServer(store: store, directory: directory, group: group, task: task, port: port, bundle: bundle)
    }

    init(
        store: DataStore, directory: String, group: ServiceGroup, task: Task<Void, any Error>, port: Int,
        bundle: CompiledBundle
    ) {
        self.store = store
        self.directory = directory
        self.group = group
        self.task = task
        self.port = port
        self.bundle = bundle
    }

    /// One profile per persona in turn, each with its own first name.
    static func profiles(count: Int) -> [String] {
        (1...count).map { i in
            let attrs: String
            switch i % 6 {
            case 0: attrs = #""sessions_total":1"#
            case 1: attrs = #""sessions_total":5,"orders":0"#
            case 2: attrs = #""sessions_total":9,"high_margin_views_7d":6,"recommended_category":"knitwear""#
            case 3:
                attrs = #""sessions_total":4,"cart_items":\#(i % 4 + 1),"cart_value":\#(20 + i),"cart_age_hours":30"#
            case 4: attrs = #""orders":\#(5 + i % 9),"ltv":\#(600 + i),"loyalty_tier":"gold""#
            default: attrs = #""orders":2,"days_since_purchase":120"#
            }
            return #"{"id":"u\#(i)","attributes":{"first_name":"Name\#(i)",\#(attrs)}}"#
        }
    }

    /// What the engine decides in-process for `user` (the expected server answer).
    func expectedDecision(user: String, slots: [String], revision: UInt64 = 1) throws -> String {
        let engine = try DecisionEngine(bundle: bundle, revision: revision)
        var out: [UInt8] = []
        var scratch: [UInt8] = []
        var choices: [SlotChoice] = []
        try ProfileReader(store: store).withSnapshot { snap in
            engine.decide(
                DecisionRequest(user: user, slots: slots), profile: try snap.profile(user), into: &out,
                scratch: &scratch,
                choices: &choices)
        }
        return String(decoding: out, as: UTF8.self) + "\n"
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` against a fresh server, then shuts it down gracefully (also when `body` fails).
func withServer(
    users: Int = 120, maxBodySize: Int = 1 << 20, configure: (inout DecisionServerConfiguration) -> Void = { _ in },
    _ body: (RunningServer) async throws -> Void
) async throws {
    let server = try await RunningServer.start(users: users, maxBodySize: maxBodySize, configure: configure)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
}

/// `text` without the `,"token":"…"` members of decide answers (exposure tokens differ per answer).
func withoutTokens(_ text: String) -> String {
    text.replacingOccurrences(of: #","token":"[A-Za-z0-9_-]+""#, with: "", options: .regularExpression)
}

/// Runs a client process (bounded in time).
func client(_ arguments: String...) async throws -> TransportHarness.Output {
    try await TransportHarness.run(arguments)
}

@Suite("Decision server over real HTTP/2 and HTTP/1.1", .serialized)
struct DecisionServerTests {
    @Test func decideOverHTTP2MatchesTheEngineExactly() async throws {
        try await withServer { server in
            let out = try await client(
                "curl", "-sS", "--http2-prior-knowledge", "-w", "\n%{http_version} %{http_code}",
                "\(server.base)/v1/decide?user=u4&slots=home.hero,cart.banner")
            let expected = try server.expectedDecision(user: "u4", slots: ["home.hero", "cart.banner"])
            #expect(withoutTokens(out.stdout) == expected + "\n2 200")
            // Besides the content, each shown slot carries its exposure token.
            #expect(out.stdout.components(separatedBy: #""token":""#).count == 3)
            #expect(expected.contains(#""rule":"vip""#))
            #expect(expected.contains("Hi Name4, thank you"))
        }
    }

    @Test func postDecideWithContextAndExplainOverHTTP1() async throws {
        try await withServer { server in
            let out = try await client(
                "curl", "-sS", "-w", "\n%{http_version} %{http_code}", "-H", "content-type: application/json", "-d",
                #"{"user":"nobody","slots":["email.header"],"context":{"device":"mobile"},"explain":true}"#,
                "\(server.base)/v1/decide")
            #expect(out.stdout.hasSuffix("\n1.1 200"))
            let json = try JSONValue.parse(String(out.stdout.split(separator: "\n")[0]))
            #expect(json["segments"] == .array([.string("mobile_shopper")]))
            #expect(json["slots"]?["email.header"]?["rule"] == .string("mobile-app"))
            #expect(json["slots"]?["email.header"]?["explain"] != nil)
        }
    }

    @Test func slotFragmentIsTheRenderedBlockAlone() async throws {
        try await withServer { server in
            let out = try await client(
                "curl", "-sS", "--http2-prior-knowledge", "-D", "-", "\(server.base)/v1/slots/cart.banner?user=u3")
            #expect(out.stdout.contains("content-type: text/html; charset=utf-8"))
            #expect(out.stdout.contains(#"<div class="banner banner-shipping">"#))
            #expect(out.stdout.contains("you have 4 item(s) worth €23."))
        }
    }

    @Test(arguments: [
        ("/v1/decide?slots=home.hero", "400", #""field":"user""#),
        ("/v1/decide?user=u1", "400", #""field":"slots""#),
        ("/v1/slots/nope.slot?user=u1", "404", #""error":"unknown_slot""#),
        ("/v2/nothing", "404", #""error":"not_found""#),
    ])
    func badRequestsGetClearErrors(path: String, status: String, fragment: String) async throws {
        try await withServer(users: 6) { server in
            let out = try await client(
                "curl", "-sS", "--http2-prior-knowledge", "-w", "\n%{http_code}", server.base + path)
            #expect(out.stdout.hasSuffix("\n" + status), "\(path): \(out.stdout)")
            #expect(out.stdout.contains(fragment), "\(path): \(out.stdout)")
        }
    }

    @Test func invalidJSONBodyNamesLineAndColumnAndWrongMethodIs405() async throws {
        try await withServer(users: 6) { server in
            let bad = try await client(
                "curl", "-sS", "-w", "\n%{http_code}", "-d", "{\n \"user\": \"u1\",\n \"slots\": [,]\n}",
                "\(server.base)/v1/decide")
            #expect(bad.stdout.contains("at 3:12"), "\(bad.stdout)")
            #expect(bad.stdout.hasSuffix("\n400"))
            let unknown = try await client(
                "curl", "-sS", "-d", #"{"user":"u1","slots":["home.hero"],"colour":1}"#, "\(server.base)/v1/decide")
            #expect(unknown.stdout.contains(#""field":"colour""#))
            let method = try await client("curl", "-sS", "-X", "PUT", "-D", "-", "\(server.base)/v1/decide")
            #expect(method.stdout.contains("405"))
            #expect(method.stdout.lowercased().contains("allow: get, post"))
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await withServer(users: 6, maxBodySize: 4096) { server in
            let file = try TransportHarness.payloadFile(count: 20_000)
            let out = try await client(
                "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "@\(file)",
                "\(server.base)/v1/decide")
            #expect(out.stdout == "413")
        }
    }

    // nghttp multiplexes every URI on one connection (one per authority) with up to 100 streams in flight;
    // The windows are raised (-w/-W) so no body is split into several DATA frames whose output could
    // interleave on stdout. curl 7.88's --parallel with --http2-prior-knowledge fails with "Error in the HTTP2 framing layer"
    // against nghttpd as well, so it is not used here.
    @Test func hundredConcurrentStreamsOnOneConnectionEachGetTheirOwnCorrectAnswer() async throws {
        try await withServer(users: 120) { server in
            let slots = ["home.hero", "cart.banner", "email.header"]
            let uris = (1...100).map { "\(server.base)/v1/decide?user=u\($0)&slots=\(slots.joined(separator: ","))" }
            let out = try await TransportHarness.run(["nghttp", "-M", "100", "-w", "20", "-W", "24"] + uris)
            #expect(out.status == 0, "\(out.stderr)")
            let bodies = out.stdout.split(separator: "\n").map { String($0) + "\n" }
            #expect(bodies.count == 100)
            var byUser: [String: String] = [:]
            for body in bodies {
                guard case .string(let user)? = try JSONValue.parse(body)["user"] else {
                    Issue.record("no user in \(body)")
                    continue
                }
                byUser[user] = body
            }
            #expect(byUser.count == 100, "every stream answered for its own user")
            for i in 1...100 {
                #expect(
                    byUser["u\(i)"].map(withoutTokens) == (try server.expectedDecision(user: "u\(i)", slots: slots)),
                    "u\(i)")
            }
            let stats = try await TransportHarness.run(["nghttp", "-n", "-M", "100", "--stat"] + uris)
            let streamIDs = stats.stdout.split(separator: "\n").compactMap { line -> Int? in
                let fields = line.split(separator: " ")
                return fields.count > 4 && fields[4] == "200" ? Int(fields[0]) : nil
            }
            #expect(Set(streamIDs).count == 100, "100 distinct streams: \(stats.stdout)")
        }
    }

    @Test func h2loadSeesOnly2xx() async throws {
        try await withServer(users: 50) { server in
            let out = try await client(
                "h2load", "-n", "2000", "-c", "2", "-m", "50",
                "\(server.base)/v1/decide?user=u7&slots=home.hero,home.recommendations")
            #expect(TransportHarness.h2loadSuccesses(out.stdout) == 2000, "\(out.stdout)")
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        try await withServer(users: 6) { server in
            #expect(try await client("curl", "-sS", "\(server.base)/healthz").stdout == "ok\n")
            #expect(
                try await client("curl", "-sS", "--http2-prior-knowledge", "\(server.base)/readyz").stdout
                    == "ready: revision 1\n")
            _ = try await client(
                "curl", "-sS", "--http2-prior-knowledge", "\(server.base)/v1/decide?user=u4&slots=home.hero")
            let metrics = try await client("curl", "-sS", "\(server.base)/metrics").stdout
            #expect(metrics.contains(#"tessera_http_requests_total{route="/v1/decide",status="200"} 1"#))
            #expect(metrics.contains(#"tessera_decisions_total{slot="home.hero",outcome="vip"} 1"#))
            #expect(metrics.contains(#"tessera_http_request_duration_seconds_count{route="/v1/decide"} 1"#))
            #expect(metrics.contains("tessera_bundle_revision 1"))
            // One cacheable render so far: a miss; the same decision again is a hit.
            #expect(metrics.contains("tessera_render_cache_misses_total 1"))
            _ = try await client("curl", "-sS", "--http2-prior-knowledge", "\(server.base)/v1/decide?user=u4&slots=home.hero")
            let again = try await client("curl", "-sS", "\(server.base)/metrics").stdout
            #expect(again.contains("tessera_render_cache_hits_total 1"))
        }
    }

    @Test func aNewlyPublishedRevisionIsServedWithoutRestart() async throws {
        try await withServer(users: 6) { server in
            var sources = try BundleSources.load(
                templates: repositoryRoot + "/Templates", mappings: repositoryRoot + "/Mappings")
            sources.templates["cart/default"] = "<div class=\"banner\">Winter sale: free returns for 60 days.</div>"
            _ = try ContentPublisher(store: server.store).publish(sources: sources, origin: .compile)
            var body = ""
            for _ in 0..<50 {
                body = try await client(
                    "curl", "-sS", "--http2-prior-knowledge", "\(server.base)/v1/decide?user=u1&slots=cart.banner"
                ).stdout
                if body.contains(#""revision":2"#) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(body.contains(#""revision":2"#))
            #expect(body.contains("Winter sale"))
        }
    }
}
