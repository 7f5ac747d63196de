import Foundation
import JSON
import Server
import Targeting
import Testing

/// 2026-11-25T10:00:00Z, the tests' starting time.
let tuesday = Timestamp(iso8601: "2026-11-25T10:00:00Z")!.seconds

@Suite("Profile deltas over real HTTP/2", .serialized)
struct DeltaServerTests {
    @Test func everyOperationChangesTheStoredProfileAsDocumented() async throws {
        let clock = TestClock(tuesday)
        try await withServer(users: 6, configure: clock.configure) { server in
            let first = try await server.deltas([
                #"{"user":"n1","seq":1,"ts":"2026-11-25T09:00:00Z","ops":[{"op":"set","path":"first_name","value":"Ana"},{"op":"set","path":"country","value":"PT"},{"op":"increment","path":"orders","by":2},{"op":"increment","path":"orders","by":1},{"op":"append","path":"interests","value":"denim"},{"op":"append","path":"interests","value":"vintage"},{"op":"append","path":"interests","value":"outdoor","max":2}]}"#,
                #"{"user":"n1","seq":2,"ts":"2026-11-25T09:10:00Z","ops":[{"op":"unset","path":"country"},{"op":"remove","path":"interests","value":"vintage"},{"op":"add_segment","id":"churn_risk","score":0.75,"ttl":"7d"},{"op":"event","type":"add_to_cart","properties":{"sku":"sku-9","quantity":2,"price":30}},{"op":"event","type":"session"},{"op":"consent","purpose":"personalization","granted":true}]}"#,
            ])
            #expect(first.status == 200, "\(first.body)")
            #expect(first.json["applied"] == .number(2))
            #expect(first.json.statuses == ["applied", "applied"])

            let stored = try await server.storedProfile("n1")
            #expect(stored.status == 200, "\(stored.body)")
            let p = stored.json
            #expect(p["seq"] == .number(2))
            #expect(p["attributes"]?["first_name"] == .string("Ana"))
            #expect(p["attributes"]?["country"] == nil, "unset removed it")
            #expect(p["attributes"]?["orders"] == .number(3), "two increments")
            #expect(
                p["attributes"]?["interests"] == .array([.string("outdoor")]),
                "max 2 kept the last two, remove dropped vintage")
            #expect(p["consent"]?["personalization"] == .bool(true))
            guard case .array(let segments)? = p["segments"], let churn = segments.first else {
                Issue.record("no segments in \(stored.body)")
                return
            }
            #expect(churn["id"] == .string("churn_risk"))
            #expect(churn["score"] == .number(0.75))
            #expect(churn["expires_at"] == .string("2026-12-02T09:10:00Z"), "ttl counts from the delta's ts")
            #expect(p["behaviour"]?["cart"]?["items"] == .number(2))
            #expect(p["behaviour"]?["cart"]?["value"] == .number(60))
            #expect(p["behaviour"]?["events"]?["session"]?["count"] == .number(1))
            #expect(p["behaviour"]?["events"]?["add_to_cart"]?["last_properties"]?["sku"] == .string("sku-9"))

            let removed = try await server.deltas([
                #"{"user":"n1","seq":3,"ops":[{"op":"remove_segment","id":"churn_risk"},{"op":"event","type":"purchase","properties":{"value":60}}]}"#
            ])
            #expect(removed.json.statuses == ["applied"])
            let after = try await server.storedProfile("n1").json
            #expect(after["segments"] == .array([]))
            #expect(after["behaviour"]?["orders"]?["count"] == .number(1))
            #expect(after["behaviour"]?["orders"]?["value"] == .number(60))
            #expect(after["behaviour"]?["cart"]?["items"] == .number(0), "a purchase empties the cart")
        }
    }

    @Test func duplicateAndOutOfOrderSeqChangeNothingAndGapsAreReported() async throws {
        let clock = TestClock(tuesday)
        try await withServer(users: 6, configure: clock.configure) { server in
            let a = try await server.deltas([
                #"{"user":"s1","seq":5,"ops":[{"op":"set","path":"first_name","value":"Five"}]}"#,
                #"{"user":"s1","seq":5,"ops":[{"op":"set","path":"first_name","value":"Again"}]}"#,
                #"{"user":"s1","seq":3,"ops":[{"op":"set","path":"first_name","value":"Late"}]}"#,
                #"{"user":"s1","seq":8,"ops":[{"op":"increment","path":"orders","by":1}]}"#,
            ])
            #expect(a.json.statuses == ["applied", "duplicate", "duplicate", "applied"], "\(a.body)")
            #expect(a.json["duplicate"] == .number(2))
            #expect(a.json["gaps"] == .number(1))
            let results = try #require(a.json["results"]?.arrayElements, "\(a.body)")
            #expect(results[1]["stored_seq"] == .number(5))
            #expect(results[3]["gap_after"] == .number(5))

            // Redelivery of the whole batch later: all duplicates, nothing changes.
            let replay = try await server.deltas([
                #"{"user":"s1","seq":5,"ops":[{"op":"set","path":"first_name","value":"Replayed"}]}"#,
                #"{"user":"s1","seq":8,"ops":[{"op":"increment","path":"orders","by":1}]}"#,
            ])
            #expect(replay.json.statuses == ["duplicate", "duplicate"])
            let p = try await server.storedProfile("s1").json
            #expect(p["attributes"]?["first_name"] == .string("Five"))
            #expect(p["attributes"]?["orders"] == .number(1))
            #expect(p["seq"] == .number(8))
        }
    }

    @Test func badDeltasAreRejectedWithTheirLineAndReasonAndTheirNeighboursApply() async throws {
        try await withServer(users: 6, configure: TestClock(tuesday).configure) { server in
            let a = try await server.deltas([
                #"{"user":"b1","seq":1,"ops":[{"op":"set","path":"first_name","value":"Ok"}]}"#,
                #"{"user":"b1","seq":2,"ops":[{"op":"set","path":"nickname","value":"x"}]}"#,
                #"{"user":"b1","seq":3,"ops":[{"op":"set","path":"orders","value":"many"}]}"#,
                #"{"user":"b1", "seq": oops}"#,
                #"{"user":"b1","seq":4,"ops":[{"op":"set","path":"first_name","value":"Half"},{"op":"teleport"}]}"#,
                #"{"user":"b2","ops":[]}"#,
                #"{"user":"b1","seq":5,"ops":[{"op":"set","path":"last_seen","value":"yesterday"}]}"#,
                #"{"user":"b1","seq":6,"ops":[{"op":"increment","path":"orders","by":1.5}]}"#,
                #"{"user":"b1","seq":7,"ops":[{"op":"add_segment","id":"ghost"}]}"#,
                #"{"user":"b1","seq":9,"ops":[{"op":"set","path":"country","value":"NL"}]}"#,
            ])
            #expect(a.status == 200)
            #expect(
                a.json.statuses == [
                    "applied", "rejected", "rejected", "rejected", "rejected", "rejected", "rejected", "rejected",
                    "rejected", "applied",
                ], "\(a.body)")
            let r = try #require(a.json["results"]?.arrayElements, "\(a.body)")
            #expect(r[1]["line"] == .number(2))
            #expect(r[1]["field"] == .string("ops[0].path"))
            #expect(
                r[1]["reason"]
                    == .string("attribute 'nickname' is not in schema.yaml (only schema attributes are stored)"))
            #expect(r[2]["reason"] == .string(#"attribute 'orders' expects integer, got the string "many""#))
            #expect(r[3]["field"] == .string("(line)"))
            #expect(r[4]["field"] == .string("ops[1].op"))
            #expect(r[5]["field"] == .string("seq"))
            #expect(r[6]["reason"] == .string(#"attribute 'last_seen' expects timestamp, got the string "yesterday""#))
            #expect(r[8]["reason"] == .string("unknown segment 'ghost' (not in segments.yaml)"))
            let p = try await server.storedProfile("b1").json
            #expect(p["attributes"]?["first_name"] == .string("Ok"), "the half-valid delta changed nothing")
            #expect(p["attributes"]?["country"] == .string("NL"))
            #expect(p["seq"] == .number(9))
            #expect(try await server.storedProfile("b2").status == 404)

            let array = try await server.call(
                "POST", "/v1/profiles/deltas",
                body: #"[{"user":"b3","seq":1,"ops":[]},{"user":"b3","seq":2,"ops":[{"op":"unset"}]}]"#,
                contentType: "application/json")
            guard case .array(let ra)? = array.json["results"] else {
                Issue.record("\(array.body)")
                return
            }
            #expect(ra[1]["index"] == .number(1))
            #expect(ra[1]["line"] == nil)
            #expect(array.json.statuses == ["applied", "rejected"])
            let broken = try await server.call(
                "POST", "/v1/profiles/deltas", body: "[{\"user\":\n 1,]", contentType: "application/json")
            #expect(broken.status == 400)
            #expect(broken.body.contains("at 2:"))
        }
    }

    /// The answer can change with the clock alone (a membership expires); its ETag must change with it, so an
    /// old tag gets the new answer, not a 304.
    @Test func theETagFollowsTheClockNotOnlyTheStoredProfile() async throws {
        let clock = TestClock(tuesday)
        try await withServer(users: 6, configure: clock.configure) { server in
            _ = try await server.deltas([
                #"{"user":"t3","seq":1,"ts":"2026-11-25T08:00:00Z","ops":[{"op":"add_segment","id":"churn_risk","ttl":"2d"}]}"#
            ])
            let url = server.base + "/v1/decide?user=t3&slots=cart.banner"
            func get(_ ifNoneMatch: String? = nil) async throws -> (status: String, etag: String, body: String) {
                var args = ["curl", "-sS", "--http2-prior-knowledge", "-D", "-"]
                if let ifNoneMatch { args += ["-H", "if-none-match: \(ifNoneMatch)"] }
                let out = try await TransportHarness.run(args + [url]).stdout
                let status = out.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                let etag = out.split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }
                    .map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) } ?? ""
                return (status, etag, out)
            }
            let first = try await get()
            #expect(first.body.contains("churn_risk"))
            #expect(try await get(first.etag).status == "304")
            clock.advance(3 * 86_400)  // the 2-day membership has expired; nothing was written
            let later = try await get(first.etag)
            #expect(later.status == "200", "\(later.body)")
            #expect(!later.body.contains("churn_risk"))
            #expect(later.etag != first.etag)
        }
    }

    @Test func timeWindowSegmentsFollowTheClockWithoutNewDeltas() async throws {
        let clock = TestClock(tuesday)
        try await withServer(users: 6, configure: clock.configure) { server in
            let a = try await server.deltas([
                #"{"user":"t1","seq":1,"ts":"2026-11-25T10:00:00Z","ops":[{"op":"event","type":"session"},{"op":"event","type":"add_to_cart","properties":{"sku":"a","price":20}}]}"#,
                #"{"user":"t2","seq":1,"ts":"2026-11-20T10:00:00Z","ops":[{"op":"event","type":"session"}]}"#,
                #"{"user":"t2","seq":2,"ts":"2026-11-23T10:00:00Z","ops":[{"op":"event","type":"session"}]}"#,
                #"{"user":"t2","seq":3,"ts":"2026-11-25T08:00:00Z","ops":[{"op":"event","type":"session"},{"op":"add_segment","id":"churn_risk","ttl":"2d"}]}"#,
            ])
            #expect(a.json["applied"] == .number(4), "\(a.body)")
            #expect(try await server.segments("t1") == ["new_visitor"])
            #expect(try await server.segments("t2").contains("repeat_visitor"))
            #expect(try await server.segments("t2").contains("churn_risk"))

            clock.advance(25 * 3600)  // 2026-11-26T11:00Z: the cart is 25 hours old; no new delta
            #expect(try await server.segments("t1") == ["cart_abandoner"])
            let hero = try await server.call("GET", "/v1/decide?user=t1&slots=home.hero", authorization: nil)
            #expect(hero.json["slots"]?["home.hero"]?["rule"] == .string("cart-reminder"))

            #expect(try await server.segments("t2").contains("repeat_visitor"), "3 sessions on Nov 20-26")
            #expect(try await server.segments("t2").contains("churn_risk"), "expires 2026-11-27T08:00Z")

            clock.advance(2 * 86_400)  // 2026-11-28T11:00Z
            #expect(!(try await server.segments("t2").contains("churn_risk")), "the 2-day membership expired")
            #expect(!(try await server.segments("t2").contains("repeat_visitor")), "only 2 sessions on Nov 22-28")

            // A purchase empties the cart: no longer abandoned.
            _ = try await server.deltas([
                #"{"user":"t1","seq":2,"ops":[{"op":"event","type":"purchase","properties":{"value":20}}]}"#
            ])
            #expect(!(try await server.segments("t1").contains("cart_abandoner")))
        }
    }

    @Test func erasureRemovesEverythingAndOnlyANewerSeqStartsAFreshProfile() async throws {
        try await withServer(users: 6, configure: TestClock(tuesday).configure) { server in
            _ = try await server.deltas([
                #"{"user":"e1","seq":1,"ops":[{"op":"set","path":"first_name","value":"Eve"},{"op":"increment","path":"orders","by":9},{"op":"set","path":"ltv","value":900}]}"#,
                #"{"user":"e1","seq":2,"ops":[{"op":"event","type":"session"}]}"#,
            ])
            #expect(try await server.segments("e1").contains("loyal_customer"))
            let erased = try await server.call("DELETE", "/v1/profiles/e1")
            #expect(erased.status == 200)
            #expect(erased.json["erased"] == .bool(true))
            #expect(erased.json["tombstone_seq"] == .number(2))
            let gone = try await server.storedProfile("e1")
            #expect(gone.status == 404)
            #expect(gone.json["error"] == .string("erased"))
            #expect(try await server.segments("e1") == [], "decided as an unknown user")

            let replay = try await server.deltas([
                #"{"user":"e1","seq":1,"ops":[{"op":"set","path":"first_name","value":"Eve"}]}"#,
                #"{"user":"e1","seq":2,"ops":[{"op":"event","type":"session"}]}"#,
            ])
            #expect(replay.json.statuses == ["duplicate", "duplicate"], "a replay cannot resurrect the user")
            #expect(try await server.storedProfile("e1").status == 404)

            let fresh = try await server.deltas([
                #"{"user":"e1","seq":3,"ops":[{"op":"set","path":"country","value":"FR"}]}"#
            ])
            #expect(fresh.json.statuses == ["applied"])
            let p = try await server.storedProfile("e1").json
            #expect(p["attributes"] == .object([("country", .string("FR"))]), "nothing from before the erasure")
            #expect(p["seq"] == .number(3))
        }
    }

    @Test func withdrawnConsentServesDefaultsAndReadsNoProfileData() async throws {
        try await withServer(users: 6, configure: TestClock(tuesday).configure) { server in
            _ = try await server.deltas([
                #"{"user":"c1","seq":1,"ops":[{"op":"set","path":"first_name","value":"Cy"},{"op":"increment","path":"orders","by":7},{"op":"set","path":"ltv","value":700}]}"#
            ])
            let before = try await server.call("GET", "/v1/decide?user=c1&slots=home.hero", authorization: nil)
            #expect(before.json["slots"]?["home.hero"]?["rule"] == .string("vip"))
            _ = try await server.deltas([
                #"{"user":"c1","seq":2,"ops":[{"op":"consent","purpose":"personalization","granted":false}]}"#
            ])
            let after = try await server.call(
                "GET", "/v1/decide?user=c1&slots=home.hero&explain=true", authorization: nil)
            #expect(after.json["segments"] == .array([]))
            #expect(after.json["slots"]?["home.hero"]?["template"] == .string("hero/generic"))
            #expect(!after.body.contains("Cy"))
            #expect(after.body.contains("no personalization consent"))
        }
    }

    @Test func writeEndpointsNeedTheBearerTokenAndDecideDoesNot() async throws {
        try await withServer(users: 6, configure: TestClock(tuesday).configure) { server in
            let body = #"{"user":"a1","seq":1,"ops":[{"op":"set","path":"first_name","value":"X"}]}"# + "\n"
            let none = try await server.call(
                "POST", "/v1/profiles/deltas", body: body, authorization: nil, headers: true)
            #expect(none.status == 401)
            #expect(none.body.lowercased().contains("www-authenticate: bearer"))
            let wrong = try await server.call(
                "POST", "/v1/profiles/deltas", body: body, authorization: "Bearer \(ingestToken)x")
            #expect(wrong.status == 401)
            let short = try await server.call("GET", "/v1/profiles/u1", authorization: "Bearer test")
            #expect(short.status == 401)
            #expect(try await server.call("DELETE", "/v1/profiles/u1", authorization: nil).status == 401)
            #expect(try await server.storedProfile("a1").status == 404, "nothing was written")
            #expect(try await server.call("POST", "/v1/profiles/deltas", body: body).status == 200)
            #expect(
                try await server.call("GET", "/v1/decide?user=a1&slots=home.hero", authorization: nil).status == 200)
        }
        try await withServer(users: 6) { server in
            let closed = try await server.call("GET", "/v1/profiles/u1")
            #expect(closed.status == 503)
            #expect(closed.body.contains("--ingest-token"))
            #expect(closed.body.contains("TESSERA_INGEST_TOKEN"))
        }
    }

    @Test func concurrentRequestsAreGroupCommittedAndAllAcknowledgedDeltasAreStored() async throws {
        try await withServer(users: 6, configure: TestClock(tuesday).configure) { server in
            // 40 requests of 50 deltas each over 4 connections x 10 streams: 2,000 deltas.
            var lines: [String] = []
            for i in 0..<50 {
                lines.append(#"{"user":"g\#(i)","seq":1,"ops":[{"op":"increment","path":"orders","by":1}]}"#)
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("group-\(UUID().uuidString)")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            let out = try await client(
                "h2load", "-n", "40", "-c", "4", "-m", "10", "-d", file.path, "-H",
                "authorization: Bearer \(ingestToken)",
                "-H", "content-type: application/x-ndjson", "\(server.base)/v1/profiles/deltas")
            #expect(TransportHarness.h2loadSuccesses(out.stdout) == 40, "\(out.stdout)")
            // Each user got seq 1 forty times: applied once, 39 duplicates.
            for i in [0, 17, 49] {
                let p = try await server.storedProfile("g\(i)").json
                #expect(p["attributes"]?["orders"] == .number(1))
                #expect(p["version"] == .number(1))
            }
        }
    }
}

@Suite("Segment Spec ingestion over real HTTP/2", .serialized)
struct SegmentIngestTests {
    @Test func identifyTrackPageAndAudiencesBecomeProfileDataAndMessageIDsDeduplicate() async throws {
        try await withServer(users: 6, configure: TestClock(tuesday).configure) { server in
            let batch = #"""
                {"batch":[
                 {"type":"identify","userId":"s9","messageId":"m1","timestamp":"2026-11-25T09:00:00Z","traits":{"first_name":"Sam","email":"sam@example.com","churn_risk":true}},
                 {"type":"track","userId":"s9","messageId":"m2","event":"Product Added","properties":{"sku":"k1","price":25,"quantity":2}},
                 {"type":"page","userId":"s9","messageId":"m3","name":"Home","properties":{"path":"/"}},
                 {"type":"track","userId":"s9","messageId":"m4","event":"Audience Exited","properties":{"audience_key":"churn_risk"}},
                 {"type":"identify","userId":"s9","messageId":"m5","traits":{"orders":"lots"}},
                 {"type":"track","userId":"s9","event":"No Id"}
                ]}
                """#
            let a = try await server.call("POST", "/v1/ingest/segment", body: batch, contentType: "application/json")
            #expect(a.status == 200, "\(a.body)")
            #expect(
                a.json.statuses == ["applied", "applied", "applied", "applied", "rejected", "rejected"], "\(a.body)")
            let r = try #require(a.json["results"]?.arrayElements, "\(a.body)")
            #expect(r[0]["ignored_traits"] == .array([.string("email")]), "not in the schema: not stored")
            #expect(r[4]["field"] == .string("traits.orders"))
            #expect(r[5]["field"] == .string("messageId"))
            let p = try await server.storedProfile("s9").json
            #expect(p["attributes"] == .object([("first_name", .string("Sam"))]))
            #expect(p["segments"] == .array([]), "entered, then exited the audience")
            #expect(p["behaviour"]?["cart"]?["items"] == .number(2))
            #expect(p["behaviour"]?["events"]?["page"]?["last_properties"]?["name"] == .string("Home"))

            let again = try await server.call(
                "POST", "/v1/ingest/segment",
                body:
                    #"{"type":"track","userId":"s9","messageId":"m2","event":"Product Added","properties":{"sku":"k1","price":25,"quantity":2}}"#,
                contentType: "application/json")
            #expect(again.json.statuses == ["duplicate"])
            #expect(try await server.storedProfile("s9").json["behaviour"]?["cart"]?["items"] == .number(2))
            #expect(try await server.call("POST", "/v1/ingest/segment", body: "{}", authorization: nil).status == 401)
        }
    }
}
