import Foundation
import JSON
import Server
import Testing

/// The remote kill switches issue 8 found, each sent to a real server over HTTP/2: every one used to trap
/// (killing this test process, which runs the server in-process); now each gets a 4xx naming the field
/// and the server keeps answering.
@Suite("Hostile input over real HTTP/2", .serialized)
struct HostileInputTests {
    /// `abs(now - t)` overflowed for t = Int64.min before the signature was even checked.
    @Test func aWebhookTimestampAtInt64MinIsRefusedNotACrash() async throws {
        try await withCMSServer { server in
            let body = delivery("d-x", [upsert("template", "cart/default", "<div>x</div>")])
            for t in ["-9223372036854775808", "9223372036854775807", "-1", "99999999999999999999"] {
                let (status, answer) = try await server.postWebhook(
                    body, signatureHeader: "t=\(t),v1=" + String(repeating: "ab", count: 32))
                #expect(status == 401, "t=\(t): \(answer)")
                #expect(answer["field"] == .string("Tessera-Signature"), "t=\(t): \(answer)")
            }
            #expect(try await server.content("cart.banner") != "<div>x</div>", "nothing was published")
            let health = try await server.call("GET", "/healthz", authorization: nil)
            #expect(health.status == 200 && health.body.hasPrefix("ok"), "\(health.body)")
        }
    }

    /// Each delta names the field at fault and changes nothing; the batch still gets its answer.
    @Test(arguments: [
        (#"{"op":"event","type":"session","ts":1e24}"#, "ops[0].ts"),
        (#"{"op":"event","type":"session","ts":-1e24}"#, "ops[0].ts"),
        (#"{"op":"event","type":"session","ts":"0000-01-01T00:00:00Z"}"#, "ops[0].ts"),
        (#"{"op":"event","type":"session","ts":"2026-13-01T00:00:00Z"}"#, "ops[0].ts"),
        (#"{"op":"event","type":"session","ts":"2026-02-30T00:00:00Z"}"#, "ops[0].ts"),
        (#"{"op":"add_segment","id":"churn_risk","expires_at":9.3e18}"#, "ops[0].expires_at"),
        (#"{"op":"add_segment","id":"churn_risk","ttl":9.3e18}"#, "ops[0].ttl"),
        (#"{"op":"add_segment","id":"churn_risk","ttl":"1e300d"}"#, "ops[0].ttl"),
    ])
    func anOutOfRangeTimeIsRejectedNamingItsField(op: String, field: String) async throws {
        let clock = TestClock(tuesday)
        try await withServer(users: 2, configure: clock.configure) { server in
            let answer = try await server.deltas([
                #"{"user":"h1","seq":9,"ops":[\#(op)]}"#,
                #"{"user":"h2","seq":1,"ops":[{"op":"set","path":"first_name","value":"Bo"}]}"#,
            ])
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.json.statuses == ["rejected", "applied"], "\(answer.body)")
            guard case .array(let results)? = answer.json["results"], results.count == 2 else {
                Issue.record("no results in \(answer.body)")
                return
            }
            #expect(results[0]["field"] == .string(field), "\(answer.body)")
            #expect(try await server.storedProfile("h1").status == 404, "the rejected delta stored nothing")
            #expect(try await server.storedProfile("h2").json["attributes"]?["first_name"] == .string("Bo"))
        }
    }

    @Test func seqBeyondTwoToTheFiftyThreeIsRejectedAtEveryEntry() async throws {
        let clock = TestClock(tuesday)
        try await withServer(users: 2, configure: clock.configure) { server in
            // Used to store a tombstone seq of UInt64.max; every later delta for the user then trapped on seq + 1.
            let erase = try await server.call("DELETE", "/v1/profiles/u1?seq=18446744073709551615")
            #expect(erase.status == 400, "\(erase.body)")
            #expect(erase.json["field"] == .string("seq"))
            let answer = try await server.deltas([
                #"{"user":"u1","seq":18446744073709551615,"ops":[]}"#,
                #"{"user":"u1","seq":9007199254740992,"ops":[]}"#,
                #"{"user":"u1","seq":9007199254740991,"ops":[{"op":"set","path":"first_name","value":"Max"}]}"#,
            ])
            #expect(answer.json.statuses == ["rejected", "rejected", "applied"], "\(answer.body)")
            let erased = try await server.call("DELETE", "/v1/profiles/u1?seq=9007199254740991")
            #expect(erased.status == 200, "\(erased.body)")
            let replay = try await server.deltas([
                #"{"user":"u1","seq":9007199254740991,"ops":[{"op":"set","path":"first_name","value":"Max"}]}"#
            ])
            #expect(replay.json.statuses == ["duplicate"], "\(replay.body)")
            #expect(try await server.storedProfile("u1").json["error"] == .string("erased"))
        }
    }

    @Test func requestContextIsBoundedInCountAndSize() async throws {
        try await withServer(users: 2) { server in
            let many = (0..<65).map { "k\($0)=v" }.joined(separator: "&")
            let tooMany = try await server.call(
                "GET", "/v1/decide?user=u1&slots=home.hero&\(many)", authorization: nil)
            #expect(tooMany.status == 400, "\(tooMany.body)")
            #expect(tooMany.json["field"] == .string("k64"))
            let sixtyFour = (0..<64).map { "k\($0)=v" }.joined(separator: "&")
            #expect(try await server.call("GET", "/v1/decide?user=u1&slots=home.hero&\(sixtyFour)", authorization: nil).status == 200)
            let long = String(repeating: "x", count: 2049)
            let tooLong = try await server.call("GET", "/v1/slots/home.hero?user=u1&device=\(long)", authorization: nil)
            #expect(tooLong.status == 400 && tooLong.json["field"] == .string("device"), "\(tooLong.body)")
            let members = (0..<70).map { #""c\#($0)":1"# }.joined(separator: ",")
            let post = try await server.call(
                "POST", "/v1/decide", body: #"{"user":"u1","slots":["home.hero"],"context":{\#(members)}}"#,
                contentType: "application/json", authorization: nil)
            #expect(post.status == 400 && post.json["field"] == .string("context.c64"), "\(post.body)")
        }
    }

    @Test func anInfiniteJSONNumberIsASyntaxErrorWithItsPosition() async throws {
        try await withServer(users: 2) { server in
            let a = try await server.call(
                "POST", "/v1/decide", body: "{\"user\":\"u1\",\n \"slots\":[\"home.hero\"], \"explain\": 1e400}",
                contentType: "application/json", authorization: nil)
            #expect(a.status == 400, "\(a.body)")
            #expect(a.json["error"] == .string("invalid_json"))
            #expect(a.json["message"]?.stringValue?.contains("2:") == true, "\(a.body)")
        }
    }

    @Test func listAttributesAreBounded() async throws {
        let clock = TestClock(tuesday)
        try await withServer(users: 2, configure: clock.configure) { server in
            let big = (0..<1001).map { #""i\#($0)""# }.joined(separator: ",")
            let answer = try await server.deltas([
                #"{"user":"l1","seq":1,"ops":[{"op":"set","path":"interests","value":[\#(big)]}]}"#,
                #"{"user":"l1","seq":2,"ops":[{"op":"set","path":"first_name","value":"\#(String(repeating: "n", count: 4097))"}]}"#,
            ])
            #expect(answer.json.statuses == ["rejected", "rejected"], "\(answer.body)")
            let results = try #require(answer.json["results"]?.arrayElements)
            #expect(results.first?["field"] == .string("ops[0].value"))
        }
    }
}
