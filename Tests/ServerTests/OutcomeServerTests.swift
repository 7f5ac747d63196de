import Decision
import Foundation
import JSON
import Outcomes
import Server
import Store
import Testing

/// Exposures, clicks, conversions and results through the real server (curl over HTTP/2, real LMDB).
///
/// Synchronization: a `/v1/feedback` answer comes after a commit that drained every loop's exposure ring
/// first, so once a feedback call is answered, every exposure of an answer received before it is counted.
@Suite("Outcomes through the real server", .serialized)
struct OutcomeServerTests {
    static let start = 1_780_000_000.0

    func withOutcomeServer(_ body: (RunningServer, TestClock) async throws -> Void) async throws {
        let clock = TestClock(Self.start)
        try await withServer(users: 60, configure: { c in
            clock.configure(&c)
            c.adminToken = adminToken
            c.collector.clock = { clock.now }
        }) { server in try await body(server, clock) }
    }

    /// A server as `withOutcomeServer`, that also takes signed CMS publishes (no revision polling).
    func withPublishingServer(_ body: (RunningServer, TestClock) async throws -> Void) async throws {
        let clock = TestClock(Self.start)
        try await withServer(users: 60, configure: { c in
            clock.configure(&c)
            c.adminToken = adminToken
            c.webhookSecrets = [secret]
            c.revisionPollInterval = .seconds(3600)
        }) { server in try await body(server, clock) }
    }

    /// Posts feedback (no authorization unless given).
    func feedback(_ server: RunningServer, _ json: String, authorization: String? = nil, headers: Bool = false)
        async throws -> Answer
    {
        try await server.call(
            "POST", "/v1/feedback", body: json, contentType: "application/json", authorization: authorization,
            headers: headers)
    }

    /// Counts committed so far: feedback with an already counted token, so nothing else changes.
    func sync(_ server: RunningServer, token: String) async throws {
        let a = try await feedback(server, #"{"type":"click","token":"\#(token)"}"#)
        #expect(a.status == 204, "sync click: \(a.body)")
    }

    func admin(_ server: RunningServer, _ path: String) async throws -> JSONValue {
        let a = try await server.call("GET", path, authorization: "Bearer \(adminToken)")
        #expect(a.status == 200, "\(path): \(a.body)")
        return a.json
    }

    /// Decides `home.hero` for `user`; returns the slot's entry.
    func hero(_ server: RunningServer, _ user: String, extra: String = "") async throws -> JSONValue {
        let a = try await server.call("GET", "/v1/decide?user=\(user)&slots=home.hero\(extra)", authorization: nil)
        #expect(a.status == 200, "\(a.body)")
        return try #require(a.json["slots"]?["home.hero"], "\(a.body)")
    }

    static func number(_ v: JSONValue?) -> Double {
        if case .number(let n)? = v { return n }
        return -1
    }

    @Test func exposuresAreCountedExactlyAndClicksOncePerToken() async throws {
        try await withOutcomeServer { server, clock in
            // A known request set: users u1...u60, home.hero, twice; and a prefetch that must not count.
            var shown: [String: Int] = [:]  // "rule/variant" -> exposures
            var users: [String: Set<String>] = [:]
            var experimentToken: (token: String, variant: String, user: String)?
            var anyToken = ""
            for round in 0..<2 {
                for i in 1...60 {
                    let entry = try await hero(server, "u\(i)")
                    let key = "\(entry["rule"]?.stringValue ?? "-")/\(entry["variant"]?.stringValue ?? "?")"
                    shown[key, default: 0] += 1
                    users[key, default: []].insert("u\(i)")
                    let token = try #require(entry["token"]?.stringValue, "every shown slot has a token")
                    #expect(token.count == 50)
                    anyToken = token
                    if round == 0, experimentToken == nil, entry["experiment"] != nil {
                        experimentToken = (token, entry["variant"]?.stringValue ?? "?", "u\(i)")
                    }
                }
            }
            let prefetch = try await hero(server, "u1", extra: "&track=false")
            #expect(prefetch["token"] == nil, "track=false: no token")

            // First click on a token: counted; the same token again: a duplicate, not counted.
            let exp = try #require(experimentToken, "the demo's new visitors (u6, u12, ...) are in onboarding-hero")
            let first = try await feedback(server, #"{"type":"click","token":"\#(exp.token)"}"#, headers: true)
            #expect(first.status == 204)
            #expect(first.body.lowercased().contains("tessera-attributed: 2"), "slot and experiment: \(first.body)")
            let again = try await feedback(server, #"{"type":"click","token":"\#(exp.token)"}"#, headers: true)
            #expect(again.status == 204)
            #expect(again.body.lowercased().contains("tessera-feedback: duplicate"), "\(again.body)")

            // The slot's results: exposures and distinct users per rule/variant exactly as answered.
            let slot = try await admin(server, "/v1/admin/slots/home.hero")
            let rows = try #require(slot["outcomes"]?.arrayElements)
            var reported: [String: (Double, Double)] = [:]
            for r in rows {
                let key = "\(r["rule"]?.stringValue ?? "-")/\(r["variant"]?.stringValue ?? "?")"
                reported[key] = (Self.number(r["exposures"]), Self.number(r["users"]))
            }
            for (key, n) in shown {
                #expect(reported[key]?.0 == Double(n), "\(key) exposures")
                #expect(reported[key]?.1 == Double(users[key]?.count ?? -1), "\(key) users")
            }
            #expect(reported.count == shown.count, "no outcome reported that was not shown: \(reported)")

            // The experiment: the click counted once, for the variant the token names.
            let report = try await admin(server, "/v1/admin/experiments/onboarding-hero")
            let variants = try #require(report["variants"]?.arrayElements)
            #expect(variants.map { $0["variant"]?.stringValue ?? "" } == ["a", "b"])
            for v in variants {
                let name = v["variant"]?.stringValue ?? ""
                #expect(Self.number(v["clicks"]) == (name == exp.variant ? 1 : 0), "\(name) clicks")
                #expect(Self.number(v["exposures"]) == Double(shown["onboarding-test/\(name)"] ?? 0))
                #expect(Self.number(v["weight"]) == 0.5)
            }
            #expect(report["variants"]?.arrayElements?.last?["chance_to_beat_control"]?["ctr"] != nil)

            // Refused tokens change nothing: forged (one character changed), not a token, expired.
            var forged = Array(exp.token)
            forged[20] = forged[20] == "A" ? "B" : "A"
            let bad = try await feedback(server, #"{"type":"click","token":"\#(String(forged))"}"#)
            #expect(bad.status == 401, "\(bad.body)")
            #expect(bad.json["field"]?.stringValue == "token")
            #expect(try await feedback(server, #"{"type":"click","token":"nope"}"#).status == 401)
            #expect(try await feedback(server, #"{"type":"click"}"#).status == 400)
            #expect(try await feedback(server, #"{"type":"like","token":"\#(anyToken)"}"#).status == 400)
            clock.advance(2 * 86_400)
            let expired = try await feedback(server, #"{"type":"click","token":"\#(anyToken)"}"#)
            #expect(expired.status == 410, "\(expired.body)")
            let after = try await admin(server, "/v1/admin/experiments/onboarding-hero")
            let clicks = after["variants"]?.arrayElements?.map { Self.number($0["clicks"]) }.reduce(0, +)
            #expect(clicks == 1, "only the first click counted")

            // The raw log: every tracked exposure, in order, with names.
            let log = try await server.call("GET", "/v1/admin/decisions?limit=1000", authorization: "Bearer \(adminToken)")
            #expect(log.status == 200)
            let lines = log.body.split(separator: "\n").map { (try? JSONValue.parse(String($0))) ?? .null }
            #expect(lines.count == 120, "120 tracked decides, the prefetch not logged")
            #expect(lines.allSatisfy { $0["slot"]?.stringValue == "home.hero" && $0["variant"] != nil })
            // Two exposures per user; the log is in commit order (loop by loop within one commit).
            var perUser: [String: Int] = [:]
            for l in lines { perUser[l["user"]?.stringValue ?? "?", default: 0] += 1 }
            #expect(perUser.count == 60 && perUser.values.allSatisfy { $0 == 2 }, "\(perUser)")
            let page = try await server.call(
                "GET", "/v1/admin/decisions?limit=10&after=\(Int(Self.number(lines[99]["seq"])))",
                authorization: "Bearer \(adminToken)")
            #expect(page.body.split(separator: "\n").count == 10)
            #expect(try await server.call("GET", "/v1/admin/decisions", authorization: nil).status == 401)
            _ = anyToken
        }
    }

    @Test func conversionsAreAttributedToTheLastExposureInsideTheWindow() async throws {
        try await withOutcomeServer { server, clock in
            // u6 is a new visitor: in onboarding-hero.
            let entry = try await hero(server, "u6")
            let variant = try #require(entry["variant"]?.stringValue)
            #expect(entry["experiment"]?["key"]?.stringValue == "onboarding-hero")
            let token = try #require(entry["token"]?.stringValue)
            try await sync(server, token: token)

            // By user id: needs the ingest token.
            let noAuth = try await feedback(server, #"{"type":"conversion","user":"u6","value":39.9}"#)
            #expect(noAuth.status == 401, "\(noAuth.body)")
            let conv = try await feedback(
                server, #"{"type":"conversion","user":"u6","value":39.9}"#, authorization: "Bearer \(ingestToken)",
                headers: true)
            #expect(conv.status == 204, "\(conv.body)")
            #expect(conv.body.lowercased().contains("tessera-attributed: 2"), "\(conv.body)")
            // Out of range values are refused and change nothing.
            for bad in [#"{"type":"conversion","user":"u6","value":-1}"#, #"{"type":"conversion","user":"u6","value":1e13}"#,
                        #"{"type":"conversion","user":"u6","ts":1e24}"#]
            {
                let a = try await feedback(server, bad, authorization: "Bearer \(ingestToken)")
                #expect(a.status == 400, "\(bad): \(a.body)")
            }

            // Eight days later the exposure is outside the 7-day window: nothing is attributed.
            clock.advance(8 * 86_400)
            let late = try await feedback(
                server, #"{"type":"conversion","user":"u6","value":10}"#, authorization: "Bearer \(ingestToken)",
                headers: true)
            #expect(late.status == 204)
            #expect(late.body.lowercased().contains("tessera-attributed: 0"), "\(late.body)")

            let report = try await admin(server, "/v1/admin/experiments/onboarding-hero")
            for v in report["variants"]?.arrayElements ?? [] {
                let mine = v["variant"]?.stringValue == variant
                #expect(Self.number(v["conversions"]) == (mine ? 1 : 0))
                #expect(Self.number(v["converters"]) == (mine ? 1 : 0))
                #expect(Self.number(v["revenue"]) == (mine ? 39.9 : 0))
            }
            // Per segment: u6 was a new visitor when exposed.
            let seg = report["segments"]?["new_visitor"]?.arrayElements ?? []
            #expect(seg.contains { $0["variant"]?.stringValue == variant && Self.number($0["conversions"]) == 1 })
        }
    }

    @Test func aFragmentCarriesItsTokenInAHeader() async throws {
        try await withOutcomeServer { server, _ in
            let a = try await server.call("GET", "/v1/slots/home.hero?user=u6", authorization: nil, headers: true)
            #expect(a.status == 200)
            let line = try #require(
                a.body.split(separator: "\r\n").first { $0.lowercased().hasPrefix("tessera-exposure:") }, "\(a.body)")
            let token = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
            let click = try await feedback(server, #"{"type":"click","token":"\#(token)"}"#)
            #expect(click.status == 204, "\(click.body)")
            let report = try await admin(server, "/v1/admin/slots/home.hero")
            let total = report["outcomes"]?.arrayElements?.map { Self.number($0["clicks"]) }.reduce(0, +)
            #expect(total == 1)
            let quiet = try await server.call(
                "GET", "/v1/slots/home.hero?user=u6&track=false", authorization: nil, headers: true)
            #expect(!quiet.body.lowercased().contains("tessera-exposure:"))
        }
    }

    @Test func aStickyUserKeepsTheirVariantThroughAWeightChangeUntilTheBucketVersionIsBumped() async throws {
        try await withPublishingServer { server, clock in
            // New visitors (u6, u12, ...) enter onboarding-hero, which the demo makes sticky.
            var assigned: [String: String] = [:]
            var token = ""
            for i in stride(from: 6, through: 60, by: 6) {
                let entry = try await hero(server, "u\(i)")
                assigned["u\(i)"] = try #require(entry["variant"]?.stringValue)
                token = try #require(entry["token"]?.stringValue)
            }
            #expect(Set(assigned.values) == ["a", "b"], "both variants were dealt: \(assigned)")
            try await sync(server, token: token)  // the exposures, and with them the sticky variants, are committed

            // Every new user now goes to b; the users already shown a keep a.
            let path = repositoryRoot + "/Mappings/slots/home.hero.yaml"
            let original = try String(contentsOfFile: path, encoding: .utf8)
            let allB = original.replacingOccurrences(of: "weight: 0.5, data: { offer: 10 } }", with: "weight: W, data: { offer: 10 } }")
                .replacingOccurrences(of: "{ id: a, template: hero/onboarding-a, weight: W", with: "{ id: a, template: hero/onboarding-a, weight: 0")
                .replacingOccurrences(of: "{ id: b, template: hero/onboarding-b, weight: W", with: "{ id: b, template: hero/onboarding-b, weight: 1")
            #expect(allB != original)
            let (status, answer) = try await server.publish("w-1", [upsert("slot", "home.hero", allB)])
            #expect(status == 200, "\(answer)")
            for (user, variant) in assigned {
                #expect(try await hero(server, user)["variant"]?.stringValue == variant, "\(user) keeps \(variant)")
            }
            // Bumping bucket_version re-assigns everyone under the new weights.
            let bumped = allB.replacingOccurrences(of: "bucket_version: 1", with: "bucket_version: 2")
            let (status2, _) = try await server.publish("w-2", [upsert("slot", "home.hero", bumped)])
            #expect(status2 == 200)
            for user in assigned.keys {
                #expect(try await hero(server, user)["variant"]?.stringValue == "b", "\(user) re-assigned")
            }
        }
    }

    @Test func segmentReportAndMetricsAgreeWithTheEngine() async throws {
        try await withOutcomeServer { server, clock in
            // The report, against an in-process count of each stored profile's segments at the same time.
            let engine = try DecisionEngine(bundle: server.bundle, revision: 1)
            var expected: [String: Int] = [:]
            var pairs: [String: Int] = [:]
            try ProfileReader(store: server.store).withSnapshot { snap in
                for i in 1...60 {
                    let names = engine.segments(user: "u\(i)", profile: try snap.profile("u\(i)"), context: RequestContext(), now: clock.now, savedGroups: snap)
                    for n in names { expected[n, default: 0] += 1 }
                    for (a, x) in names.enumerated() { for y in names[(a + 1)...] { pairs["\(x)|\(y)", default: 0] += 1 } }
                }
            }
            let report = try await admin(server, "/v1/admin/segments")
            #expect(Self.number(report["profiles"]) == 60)
            for row in report["segments"]?.arrayElements ?? [] {
                let name = row["segment"]?.stringValue ?? "?"
                #expect(Self.number(row["users"]) == Double(expected[name] ?? 0), "\(name)")
                // 60 profiles: every segment is below 100 users and flagged.
                #expect(row["warning"] != nil)
            }
            for o in report["overlaps"]?.arrayElements ?? [] {
                let key = "\(o["a"]?.stringValue ?? "")|\(o["b"]?.stringValue ?? "")"
                let n = Double(pairs[key] ?? -1)
                #expect(Self.number(o["both"]) == n, "\(key)")
                let a = Double(expected[o["a"]?.stringValue ?? ""] ?? 0)
                let b = Double(expected[o["b"]?.stringValue ?? ""] ?? 0)
                #expect(abs(Self.number(o["jaccard"]) - n / (a + b - n)) < 1e-12)
            }
            #expect(report["overlaps"]?.arrayElements?.count == pairs.count)

            // /metrics: exposures counted and the click, by slot, rule and variant.
            let entry = try await hero(server, "u6")
            try await sync(server, token: try #require(entry["token"]?.stringValue))
            let metrics = try await server.call("GET", "/metrics", authorization: nil)
            let variant = entry["variant"]?.stringValue ?? "?"
            #expect(metrics.body.contains(#"tessera_clicks_total{slot="home.hero",rule="onboarding-test",variant="\#(variant)"} 1"#), "\(metrics.body)")
            #expect(metrics.body.contains("tessera_exposures_counted_total 1"))
            #expect(metrics.body.contains("tessera_exposures_dropped_total 0"))
        }
    }

    @Test func segmentTrackCallsAndPerExperimentWindowsFeedOutcomes() async throws {
        try await withPublishingServer { server, clock in
            // onboarding-hero attributes conversions for one day only (the server's window is 7 days).
            let path = repositoryRoot + "/Mappings/slots/home.hero.yaml"
            let source = try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(of: "      bucket_version: 1\n", with: "      bucket_version: 1\n      attribution_window: 1d\n")
            let (status, answer) = try await server.publish("aw-1", [upsert("slot", "home.hero", source)])
            #expect(status == 200, "\(answer)")

            let entry = try await hero(server, "u6")
            let variant = try #require(entry["variant"]?.stringValue)
            let token = try #require(entry["token"]?.stringValue)
            let batch = """
                {"batch":[
                 {"type":"track","event":"Product Clicked","userId":"u6","messageId":"m1","properties":{"exposure_token":"\(token)"}},
                 {"type":"track","event":"Order Completed","userId":"u6","messageId":"m2","properties":{"revenue":25}},
                 {"type":"track","event":"Product Clicked","userId":"u6","messageId":"m3","properties":{"exposure_token":"forged"}}
                ]}
                """
            let a = try await server.call("POST", "/v1/ingest/segment", body: batch, contentType: "application/json")
            #expect(a.status == 200, "\(a.body)")
            let results = a.json["results"]?.arrayElements ?? []
            #expect(results.map { $0["outcome"]?.stringValue ?? "-" } == ["counted for 2 unit(s)", "counted for 2 unit(s)", "invalid exposure_token"], "\(a.body)")
            #expect(results.allSatisfy { $0["status"]?.stringValue == "applied" }, "the deltas apply regardless")

            // Two days later: outside the experiment's window, inside the slot's (7 days).
            clock.advance(2 * 86_400)
            let late = try await feedback(
                server, #"{"type":"conversion","user":"u6","value":5}"#, authorization: "Bearer \(ingestToken)", headers: true)
            #expect(late.body.lowercased().contains("tessera-attributed: 1"), "\(late.body)")
            let report = try await admin(server, "/v1/admin/experiments/onboarding-hero")
            let mine = report["variants"]?.arrayElements?.first { $0["variant"]?.stringValue == variant }
            #expect(Self.number(mine?["clicks"]) == 1)
            #expect(Self.number(mine?["conversions"]) == 1 && Self.number(mine?["revenue"]) == 25)
            let slot = try await admin(server, "/v1/admin/slots/home.hero")
            let row = slot["outcomes"]?.arrayElements?.first { $0["variant"]?.stringValue == variant }
            #expect(Self.number(row?["conversions"]) == 2 && Self.number(row?["revenue"]) == 30)
        }
    }
}
