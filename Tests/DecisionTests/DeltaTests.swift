import Decision
import JSON
import Targeting
import Testing

/// 2026-11-25T10:00:00Z.
let now = Timestamp(iso8601: "2026-11-25T10:00:00Z")!.seconds

/// A delta from JSON text, validated against `bundle`.
func delta(_ json: String, bundle: CompiledBundle) throws -> ProfileDelta {
    try ProfileDelta.parse(try JSONValue.parse(json), bundle: bundle)
}

@Suite("Profile deltas, format-2 records and behaviour")
struct DeltaTests {
    let bundle: CompiledBundle
    let engine: DecisionEngine

    init() throws {
        bundle = try demoBundle()
        engine = try DecisionEngine(bundle: bundle, revision: 1)
    }

    @Test func formatOneRecordsAreStillReadInPlace() throws {
        // magic, format 1, consent recorded + granted, version 7, 1 segment (id 4), 1 attribute (id 2 = 42.5).
        var v1: [UInt8] = [0x54, 1, 3, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 4, 0, 2, 0, 3, 0, 26, 0, 0, 0]
        withUnsafeBytes(of: (42.5).bitPattern.littleEndian) { v1.append(contentsOf: $0) }
        try v1.withUnsafeBytes { raw in
            let view = try #require(ProfileView(raw))
            #expect(view.formatVersion == 1)
            #expect(view.version == 7)
            #expect(view.seq == 0)
            #expect(view.consent == true)
            #expect(view.explicitSegmentCount == 1 && view.explicitSegment(at: 0) == 4)
            #expect(view.explicitSegmentIsActive(at: 0, now: now))
            guard case .number(42.5)? = view.attribute(2) else {
                Issue.record("attribute 2 unreadable")
                return
            }
            #expect(view.behaviour == nil)
            // Rewritten, it becomes format 2 with the same content.
            let data = ProfileData(view)
            let v2 = data.encode()
            #expect(v2[1] == 2)
            try v2.withUnsafeBytes { raw2 in
                let again = try #require(ProfileView(raw2))
                #expect(ProfileData(again) == data)
            }
        }
    }

    @Test func formatTwoRoundTripsSeqMembershipsAndBehaviour() throws {
        var data = ProfileData(version: 3, consent: false, segmentIDs: [], attributes: [(1, .string("x"))])
        try data.apply(
            try delta(
                #"{"user":"u","seq":9,"ts":"2026-11-25T10:00:00Z","ops":[{"op":"add_segment","id":"churn_risk","score":0.5,"expires_at":"2026-11-26T00:00:00Z"},{"op":"event","type":"session"},{"op":"event","type":"add_to_cart","properties":{"sku":"s","price":12.5,"quantity":2}},{"op":"event","type":"session","ts":"2026-11-20T10:00:00Z"}]}"#,
                bundle: bundle), at: now)
        let bytes = data.encode()
        try bytes.withUnsafeBytes { raw in
            let view = try #require(ProfileView(raw))
            #expect(view.seq == 9)
            #expect(view.explicitSegmentScore(at: 0) == 0.5)
            #expect(view.explicitSegmentIsActive(at: 0, now: now))
            #expect(!view.explicitSegmentIsActive(at: 0, now: now + 86_400))
            let b = try #require(view.behaviour)
            #expect(b.cartItems == 2 && b.cartValue == 25)
            let session = try #require(b.event(Array("session".utf8)))
            #expect(session.count == 2)
            #expect(session.count(lastDays: 1, now: now) == 1)
            #expect(session.count(lastDays: 7, now: now) == 2)
            #expect(session.count(lastDays: 7, now: .nan).isNaN)
            #expect(session.firstAt == Timestamp(iso8601: "2026-11-20T10:00:00Z")?.seconds)
            #expect(ProfileData(view) == data)
        }
    }

    @Test func everyTruncationOfARecordIsSafeToDecide() throws {
        var data = ProfileData(version: 1, consent: nil, segmentIDs: [], attributes: [(1, .string("Ana"))])
        try data.apply(
            try delta(
                #"{"user":"u","seq":1,"ops":[{"op":"event","type":"session"},{"op":"event","type":"add_to_cart","properties":{"sku":"a"}},{"op":"add_segment","id":"churn_risk"}]}"#,
                bundle: bundle), at: now)
        let bytes = data.encode()
        for length in 0...bytes.count {
            let prefix = Array(bytes.prefix(length))
            var out: [UInt8] = []
            var scratch: [UInt8] = []
            var choices: [SlotChoice] = []
            prefix.withUnsafeBytes { raw in
                engine.decide(
                    DecisionRequest(user: "u", slots: engine.slotIDs, now: now), profile: ProfileView(raw), into: &out,
                    scratch: &scratch, choices: &choices)
            }
            // Whatever survives of the record, the answer is a complete decide body for every slot.
            let answer = try out.withUnsafeBytes { try JSONValue.parse($0) }
            for slot in engine.slotIDs { #expect(answer["slots"]?[slot]?["content"] != nil, "\(length): \(slot)") }
        }
    }

    @Test func relativeTimeOperatorsUseTheEvaluationsClock() throws {
        let older = try ConditionCompiler.compile(try JSONValue.parse(#"{"t": {"$olderThan": "24h"}}"#))
        let within = try ConditionCompiler.compile(try JSONValue.parse(#"{"t": {"$within": "7d"}}"#))
        func scope(_ t: JSONValue?, _ at: Double) -> JSONConditionScope {
            JSONConditionScope(.object(t.map { [("t", $0)] } ?? []), now: at)
        }
        let dayAndASecondAgo = JSONValue.string("2026-11-24T09:59:59Z")
        #expect(older.evaluate(in: scope(dayAndASecondAgo, now)))
        #expect(!older.evaluate(in: scope(.string("2026-11-24T10:00:01Z"), now)))
        #expect(older.evaluate(in: scope(.number(now - 86_400), now)), "epoch seconds work too")
        #expect(!older.evaluate(in: scope(dayAndASecondAgo, .nan)), "no clock: false")
        #expect(!older.evaluate(in: scope(nil, now)), "missing: false")
        #expect(!older.evaluate(in: scope(.string("last tuesday"), now)))
        #expect(within.evaluate(in: scope(.string("2026-11-18T10:00:00Z"), now)))
        #expect(!within.evaluate(in: scope(.string("2026-11-18T09:59:59+00:00"), now)))
        #expect(within.evaluate(in: scope(.string("2026-11-25T12:00:00+02:00"), now)), "offsets are honoured")
        #expect(throws: ConditionError.self) {
            try ConditionCompiler.compile(try JSONValue.parse(#"{"t": {"$within": "7 days"}}"#))
        }
    }

    @Test func behaviourPersonasAreReachableFromDeltasAlone() throws {
        func segments(_ ops: [String], at: Double = now) throws -> [String] {
            var data = ProfileData(version: 0, consent: nil, segmentIDs: [], attributes: [])
            for (i, op) in ops.enumerated() {
                try data.apply(try delta(#"{"user":"p","seq":\#(i + 1),"ops":[\#(op)]}"#, bundle: bundle), at: now)
            }
            return data.encode().withUnsafeBytes { raw in
                engine.segments(user: "p", profile: ProfileView(raw), context: RequestContext(), now: at)
            }
        }
        func event(_ type: String, _ ts: String, _ props: String = "{}") -> String {
            #"{"op":"event","type":"\#(type)","ts":"\#(ts)","properties":\#(props)}"#
        }
        #expect(try segments([event("session", "2026-11-25T08:00:00Z")]) == ["new_visitor"])
        #expect(
            try segments([event("session", "2026-11-10T08:00:00Z"), event("session", "2026-11-12T08:00:00Z")])
                == ["casual_browser"])
        let three = ["2026-11-20T08:00:00Z", "2026-11-22T08:00:00Z", "2026-11-24T08:00:00Z"].map {
            event("session", $0)
        }
        #expect(try segments(three).contains("repeat_visitor"))
        #expect(!(try segments(three, at: now + 5 * 86_400)).contains("repeat_visitor"), "the window moved on")
        let views = (0..<3).map { event("high_margin_view", "2026-11-2\($0 + 2)T08:00:00Z") }
        #expect(try segments(views).contains("high_intent"))
        let cart = [event("add_to_cart", "2026-11-24T09:00:00Z", #"{"sku":"a","price":40}"#)]
        #expect(try segments(cart).contains("cart_abandoner"), "filled 25 hours ago")
        #expect(!(try segments(cart, at: now - 2 * 3600)).contains("cart_abandoner"), "23 hours: not yet")
        let bought = cart + [event("purchase", "2026-11-24T12:00:00Z", #"{"value":40}"#)]
        #expect(!(try segments(bought)).contains("cart_abandoner"), "bought since")
        let orders = (1...5).map { event("purchase", "2026-11-0\($0)T10:00:00Z", #"{"value":120}"#) }
        #expect(try segments(orders).contains("loyal_customer"))
        #expect(!(try segments(orders)).contains("at_risk"))
        #expect(try segments(orders, at: now + 90 * 86_400).contains("at_risk"), "90 days without a purchase")
    }

    @Test func invalidOperationsAreRejectedNamingTheField() throws {
        let cases: [(String, String)] = [
            (#"{"op":"set","path":"shoe_size","value":42}"#, "ops[0].path"),
            (#"{"op":"increment","path":"first_name","by":1}"#, "ops[0].path"),
            (#"{"op":"append","path":"interests","value":3}"#, "ops[0].value"),
            (#"{"op":"append","path":"interests","value":"a","max":0}"#, "ops[0].max"),
            (#"{"op":"add_segment","id":"churn_risk","ttl":"soon"}"#, "ops[0].ttl"),
            (#"{"op":"event","type":"a.b"}"#, "ops[0].type"),
            (#"{"op":"consent","purpose":"marketing","granted":true}"#, "ops[0].purpose"),
            (#"{"op":"set","path":"first_name","value":"x","extra":1}"#, "ops[0].extra"),
        ]
        for (op, field) in cases {
            #expect(throws: ProfileInput.Rejection.self, "\(op)") {
                try delta(#"{"user":"u","seq":1,"ops":[\#(op)]}"#, bundle: bundle)
            }
            do {
                _ = try delta(#"{"user":"u","seq":1,"ops":[\#(op)]}"#, bundle: bundle)
            } catch let r as ProfileInput.Rejection {
                #expect(r.field == field, "\(op): \(r)")
            }
        }
    }

    @Test func isoTimesRoundTrip() {
        #expect(Timestamp.format(now) == "2026-11-25T10:00:00Z")
        #expect(Timestamp(iso8601: "1970-01-01")?.seconds == 0)
        #expect(Timestamp(iso8601: "2024-02-29T23:59:59.5Z")!.seconds == Timestamp(iso8601: "2024-03-01T00:00:00Z")!.seconds - 0.5)
        #expect(Timestamp(iso8601: "2026-13-01T00:00:00Z")?.seconds == nil)
        #expect(Timestamp.duration("90s") == 90 && Timestamp.duration("2w") == 1_209_600)
    }
}
