import Crypto
import Foundation
import JSON
import Server
import Testing

let secret = "whsec-test-1"
let rotatedSecret = "whsec-test-2"
let adminToken = "admin-test-token"

/// Signs like a CMS would, independently of the server's code: HMAC-SHA256 of "<t>.<body>", hex.
func signature(_ body: String, secret: String, time: Int64 = Int64(Date().timeIntervalSince1970)) -> String {
    let mac = HMAC<SHA256>.authenticationCode(
        for: Data("\(time).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
    return "t=\(time),v1=" + mac.map { String(format: "%02x", $0) }.joined()
}

/// A webhook body for `changes`.
func delivery(_ id: String, _ changes: [JSONValue]) -> String {
    JSONValue.object([("delivery_id", .string(id)), ("changes", .array(changes))]).jsonText
}

func upsert(_ kind: String, _ id: String, _ source: String) -> JSONValue {
    .object([("op", .string("upsert")), ("kind", .string(kind)), ("id", .string(id)), ("source", .string(source))])
}

func delete(_ kind: String, _ id: String) -> JSONValue {
    .object([("op", .string("delete")), ("kind", .string(kind)), ("id", .string(id))])
}

extension RunningServer {
    /// POSTs `body` to the webhook with `signatureHeader` (nil: none); returns (status, body).
    func postWebhook(_ body: String, signatureHeader: String?) async throws -> (Int, JSONValue) {
        let file = NSTemporaryDirectory() + "webhook-" + UUID().uuidString
        try body.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var args = [
            "curl", "-sS", "--http2-prior-knowledge", "-w", "\n%{http_code}", "-H", "content-type: application/json",
            "--data-binary", "@\(file)",
        ]
        if let signatureHeader { args += ["-H", "tessera-signature: \(signatureHeader)"] }
        let out = try await TransportHarness.run(args + ["\(base)/v1/webhooks/cms"])
        let parts = out.stdout.split(separator: "\n")
        return (
            Int(parts.last ?? "") ?? -1,
            (try? JSONValue.parse(String(parts.dropLast().joined(separator: "\n")))) ?? .null
        )
    }

    /// POSTs a signed delivery.
    func publish(_ id: String, _ changes: [JSONValue]) async throws -> (Int, JSONValue) {
        let body = delivery(id, changes)
        return try await postWebhook(body, signatureHeader: signature(body, secret: secret))
    }

    /// The `content` of `slot` for `user` from a real decide.
    func content(_ slot: String, user: String = "nobody") async throws -> String {
        let out = try await TransportHarness.run([
            "curl", "-sS", "--http2-prior-knowledge", "\(base)/v1/decide?user=\(user)&slots=\(slot)",
        ])
        guard case .string(let c)? = try JSONValue.parse(out.stdout)["slots"]?[slot]?["content"] else { return "" }
        return c
    }

    /// An admin call with the bearer token.
    func admin(_ method: String, _ path: String, body: String? = nil, token: String? = adminToken) async throws -> (
        Int, JSONValue
    ) {
        var args = ["curl", "-sS", "--http2-prior-knowledge", "-X", method, "-w", "\n%{http_code}"]
        if let token { args += ["-H", "authorization: Bearer \(token)"] }
        if let body { args += ["-H", "content-type: application/json", "-d", body] }
        let out = try await TransportHarness.run(args + [base + path])
        let parts = out.stdout.split(separator: "\n")
        return (
            Int(parts.last ?? "") ?? -1,
            (try? JSONValue.parse(String(parts.dropLast().joined(separator: "\n")))) ?? .null
        )
    }
}

/// Servers with webhooks and admin enabled; no revision polling, so anything visible came from the publish.
func withCMSServer(_ body: (RunningServer) async throws -> Void) async throws {
    let configure: (inout DecisionServerConfiguration) -> Void = {
        $0.webhookSecrets = [secret, rotatedSecret]
        $0.adminToken = adminToken
        $0.revisionPollInterval = .seconds(3600)
    }
    try await withServer(users: 12, configure: configure) { server in try await body(server) }
}

@Suite("CMS webhooks, revisions, rollback and preview", .serialized)
struct WebhookTests {
    @Test func aSignedPublishIsLiveForTheNextRequest() async throws {
        try await withCMSServer { server in
            let (status, answer) = try await server.publish(
                "d-1", [upsert("template", "cart/default", "<div>Winter returns: 60 days</div>")])
            #expect(status == 200, "\(answer)")
            #expect(answer["revision"] == .number(2))
            #expect(answer["etag"] == .string("\"r2\""))
            #expect(try await server.content("cart.banner") == "<div>Winter returns: 60 days</div>")
        }
    }

    @Test func signaturesAreCheckedAndSecretsRotate() async throws {
        try await withCMSServer { server in
            let body = delivery("d-sig", [upsert("template", "cart/default", "x")])
            let now = Int64(Date().timeIntervalSince1970)
            #expect(try await server.postWebhook(body, signatureHeader: nil).0 == 401)
            #expect(try await server.postWebhook(body, signatureHeader: signature(body, secret: "wrong")).0 == 401)
            #expect(try await server.postWebhook(body + " ", signatureHeader: signature(body, secret: secret)).0 == 401)
            let stale = try await server.postWebhook(
                body, signatureHeader: signature(body, secret: secret, time: now - 400))
            #expect(stale.0 == 401)
            #expect(stale.1["message"].map { "\($0)" }?.contains("replay") == true)
            #expect(try await server.postWebhook(body, signatureHeader: "t=abc,v1=zz").0 == 401)
            #expect(try await server.content("cart.banner") != "x", "nothing published by refused deliveries")
            #expect(
                try await server.postWebhook(body, signatureHeader: signature(body, secret: rotatedSecret)).0 == 200)
        }
    }

    @Test func aReplayedDeliveryReturnsTheOriginalAnswerAndChangesNothing() async throws {
        try await withCMSServer { server in
            let first = try await server.publish("d-same", [upsert("template", "cart/default", "one")])
            let again = try await server.publish("d-same", [upsert("template", "cart/default", "two")])
            #expect(first.0 == 200)
            #expect(again.0 == 200)
            #expect(again.1 == first.1)
            #expect(try await server.content("cart.banner") == "one")
            let (_, history) = try await server.admin("GET", "/v1/admin/revisions")
            #expect(history["current"] == .number(2))
        }
    }

    @Test(arguments: [
        (
            upsert("template", "hero/generic", "<h1>{{#open}}never closed</h1>"), "template", "hero/generic", 1, 5,
            "never closed"
        ),
        (
            upsert("template", "hero/generic", "line one\n  {{> partials/nope}}"), "template", "hero/generic", 2, 3,
            "partial 'partials/nope' does not exist"
        ),
        (
            upsert(
                "slot", "home.hero",
                "slot: home.hero\nrules:\n  - name: r\n    when: { \"attributes.ltv\": { $gtee: 5 } }\n    template: hero/vip\ndefault: { template: hero/generic }\n"
            ),
            "slot", "home.hero", 4, 33, "unknown operator '$gtee'"
        ),
        (
            upsert("slot", "home.hero", "slot: home.hero\ndefault: { template: hero/missing }\n"), "slot", "home.hero",
            2, 12, "unknown template 'hero/missing'"
        ),
        (
            upsert(
                "slot", "home.hero",
                "slot: home.hero\nrules:\n  - name: r\n    segment: ghosts\n    template: hero/vip\ndefault: { template: hero/generic }\n"
            ),
            "slot", "home.hero", 4, 5, "unknown segment 'ghosts'"
        ),
        // high_intent already excludes loyal_customer, so this closes a loop.
        (
            upsert("segment", "loyal_customer", "description: loops\nwhen: { segments: { $in: [high_intent] } }\n"),
            "segment", "loyal_customer", 0, 0, "segments form a cycle"
        ),
        (
            upsert("segment", "big_spender", "description: x\nwhen: { \"attributes.email\": { $exists: true } }\n"),
            "segment", "big_spender", 2, 1, "unknown attribute 'email'"
        ),
        (
            upsert(
                "segment", "big_spender", "description: x\nwhen: { \"attributes.first_name\": { $regex: \"[a-\" } }\n"),
            "segment", "big_spender", 2, 36, "invalid regex"
        ),
        (delete("template", "hero/vip"), "slot", "home.hero", 0, 0, "unknown template 'hero/vip'"),
        (
            upsert(
                "slot", "home.hero",
                "slot: home.hero\nrules:\n  - name: r\n    when: " + String(repeating: "{\"$and\": [", count: 80) + "{}"
                    + String(repeating: "]}", count: 80)
                    + "\n    template: hero/vip\ndefault: { template: hero/generic }\n"),
            "slot", "home.hero", 4, 5, "nested deeper than 64 levels"
        ),
    ])
    func invalidContentIs422WithPositionsAndChangesNothing(
        change: JSONValue, kind: String, id: String, line: Int, column: Int, message: String
    ) async throws {
        try await withCMSServer { server in
            let before = try await server.content("home.hero")
            let (status, answer) = try await server.publish("d-bad-\(UUID().uuidString)", [change])
            #expect(status == 422, "\(answer)")
            guard case .array(let problems)? = answer["problems"] else {
                Issue.record("no problems in \(answer)")
                return
            }
            let match = problems.first { p in
                guard case .string(let m)? = p["message"] else { return false }
                return p["kind"] == .string(kind) && p["id"] == .string(id) && m.contains(message)
            }
            #expect(match != nil, "\(problems)")
            if line > 0, let match {
                #expect(match["line"] == .number(Double(line)), "\(match)")
                #expect(match["column"] == .number(Double(column)), "\(match)")
            }
            #expect(try await server.content("home.hero") == before)
            let (_, history) = try await server.admin("GET", "/v1/admin/revisions")
            #expect(history["current"] == .number(1))
        }
    }

    @Test func changingAPartialUpdatesEveryTemplateThatIncludesIt() async throws {
        try await withCMSServer { server in
            let vipBefore = try await server.content("email.header", user: "u4")
            #expect(vipBefore.contains("Hi Name4"))
            let (status, _) = try await server.publish(
                "d-partial",
                [
                    upsert(
                        "template", "partials/greeting",
                        "Hello {{attributes.first_name}}{{^attributes.first_name}}friend{{/attributes.first_name}}")
                ])
            #expect(status == 200)
            #expect(try await server.content("email.header", user: "u4").contains("Hello Name4"))
            #expect(try await server.content("home.hero", user: "u4").contains("Hello Name4, thank you"))
        }
    }

    /// 2,000 decides of two slots run on one connection while a delivery changes both slots' templates. The
    /// delivery is sent once the server has answered some of the round's decides (read from `/metrics`), so it
    /// lands while answers are streaming even on a loaded machine: sent at the same moment as the reads, a round
    /// could see only old or only new answers, and on a busy CI machine all 8 rounds did. A round counts only when
    /// it saw old and new answers both; rounds repeat, each with new content, until one does (at most 8). No
    /// answer may ever mix old and new.
    @Test func aMultiPartPublishIsSeenAllOldOrAllNew() async throws {
        try await withCMSServer { server in
            let uris = (0..<2000).map { "\(server.base)/v1/decide?user=anon\($0)&slots=home.hero,cart.banner" }
            var straddled = false
            var previous = (hero: "", cart: "")
            for round in 1...8 where !straddled {
                let (hero, cart) = ("NEW-HERO-\(round)", "NEW-CART-\(round)")
                let before = try await Self.decidesAnswered(server)
                async let reads = TransportHarness.run(["nghttp", "-w", "20", "-W", "24", "-M", "50"] + uris)
                // Waits for the stream to be under way: bounded by the poll count, never by a sleep.
                var answered = before
                for _ in 0..<2000 where answered < before + 100 {
                    answered = try await Self.decidesAnswered(server)
                }
                #expect(answered >= before + 100, "round \(round): the reads did not start")
                let (status, _) = try await server.publish(
                    "d-multi-\(round)", [upsert("template", "hero/generic", hero), upsert("template", "cart/default", cart)])
                #expect(status == 200)
                let out = try await reads
                var (old, new, mixed, seen) = (0, 0, 0, 0)
                for line in out.stdout.split(separator: "\n") where line.contains(#""slots""#) {
                    seen += 1
                    let isNew = (line.contains(hero), line.contains(cart))
                    switch isNew {
                    case (true, true): new += 1
                    case (false, false):
                        old += 1
                        if round > 1 {
                            #expect(line.contains(previous.hero) && line.contains(previous.cart), "old = the last round's")
                        }
                    default: mixed += 1
                    }
                }
                #expect(seen == uris.count, "\(out.stderr)")
                #expect(mixed == 0, "round \(round): every response is entirely old or entirely new")
                straddled = old > 0 && new > 0
                previous = (hero, cart)
            }
            #expect(straddled, "no round saw the publish land while answers were streaming")
        }
    }

    /// Decide requests the server has answered so far, every status (`tessera_http_requests_total`).
    static func decidesAnswered(_ server: RunningServer) async throws -> Int {
        let metrics = try await server.call("GET", "/metrics", authorization: nil)
        #expect(metrics.status == 200, "\(metrics.body)")
        return metrics.body.split(separator: "\n")
            .filter { $0.hasPrefix(#"tessera_http_requests_total{route="/v1/decide","#) }
            .compactMap { Int($0.split(separator: " ").last ?? "") }
            .reduce(0, +)
    }

    @Test func rollbackMakesANewRevisionEqualToTheOldOne() async throws {
        try await withCMSServer { server in
            let original = try await server.content("cart.banner")
            #expect(try await server.publish("d-r1", [upsert("template", "cart/default", "changed")]).0 == 200)
            #expect(try await server.content("cart.banner") == "changed")
            let (status, answer) = try await server.admin("POST", "/v1/admin/rollback", body: #"{"revision": 1}"#)
            #expect(status == 200, "\(answer)")
            #expect(answer["revision"] == .number(3))
            #expect(try await server.content("cart.banner") == original)
            let (_, history) = try await server.admin("GET", "/v1/admin/revisions")
            let entries = try #require(history["revisions"]?.arrayElements, "\(history)")
            #expect(entries.count == 3)
            #expect(entries.first?["origin"] == .string("rollback"))
            #expect(entries.first?["restored_revision"] == .number(1))
            #expect(entries[1]["delivery_id"] == .string("d-r1"))
            #expect(try await server.admin("POST", "/v1/admin/rollback", body: #"{"revision": 99}"#).0 == 404)
        }
    }

    @Test func concurrentPublishesEachGetTheirOwnRevision() async throws {
        try await withCMSServer { server in
            let results = try await withThrowingTaskGroup(of: (Int, JSONValue).self) { group in
                for i in 0..<8 {
                    group.addTask { try await server.publish("d-c\(i)", [upsert("template", "cart/default", "v\(i)")]) }
                }
                var all: [(Int, JSONValue)] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.allSatisfy { $0.0 == 200 })
            let revisions = Set(
                results.compactMap { r -> Int? in
                    guard case .number(let n)? = r.1["revision"] else { return nil }
                    return Int(n)
                })
            #expect(revisions == Set(2...9))
        }
    }

    @Test func previewRendersInlineSourceForAPersonaAndChangesNothing() async throws {
        try await withCMSServer { server in
            let body = """
                {"source": "{{> partials/hi}} {{attributes.first_name}}{{#segments.loyal_customer}} (VIP){{/segments.loyal_customer}}",
                 "partials": {"partials/hi": "Welcome back"},
                 "profile": {"attributes": {"first_name": "Zoë", "orders": 9, "ltv": 900}},
                 "slot": "home.hero"}
                """
            let (status, answer) = try await server.admin("POST", "/v1/preview", body: body)
            #expect(status == 200, "\(answer)")
            #expect(answer["content"] == .string("Welcome back Zoë (VIP)"))
            #expect(answer["decision"]?["slots"]?["home.hero"]?["rule"] == .string("vip"))
            let stored = try await server.admin("POST", "/v1/preview", body: #"{"template": "hero/vip", "user": "u4"}"#)
            #expect(stored.1["content"].map { "\($0)" }?.contains("Hi Name4") == true)
            let broken = try await server.admin("POST", "/v1/preview", body: #"{"source": "{{#x}}"}"#)
            #expect(broken.0 == 422)
            #expect(broken.1["problems"]?.jsonText.contains(#""id":"source""#) == true)
            let badPersona = try await server.admin(
                "POST", "/v1/preview", body: #"{"template": "hero/vip", "profile": {"attributes": {"shoe": 1}}}"#)
            #expect(badPersona.0 == 400)
            #expect(badPersona.1["field"] == .string("profile.attributes.shoe"))
            #expect(
                try await server.admin("POST", "/v1/preview", body: #"{"template": "hero/vip"}"#, token: nil).0 == 401)
            #expect(try await server.admin("GET", "/v1/admin/revisions", token: "wrong").0 == 401)
            let (_, history) = try await server.admin("GET", "/v1/admin/revisions")
            #expect(history["current"] == .number(1))
        }
    }
}
