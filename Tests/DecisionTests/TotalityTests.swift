import Decision
import JSON
import Targeting
import Testing

/// Input-derived numbers that used to trap (each a remote kill switch), and the one time type that now
/// stands between them and the arithmetic.
@Suite("Totality: no input value traps")
struct TotalityTests {
    /// 0000-01-01T00:00:00Z: outside the valid range, as a stored record from before validation may hold.
    static let yearZero = -62_167_219_200.0

    static let timeSequences: [[Double]] = [
        [yearZero, 253_402_300_799], [253_402_300_799, yearZero], [1e24, -1e24], [-1e24, 1e24, Double.nan],
        [Double.infinity, -Double.infinity], [Double.nan, 0], [0, 2_505_600, 2_592_000, 864_000],
    ]

    @Test(arguments: timeSequences)
    func eventCountersTakeAnyTimeWithoutTrapping(times: [Double]) {
        var counter = EventCounter(type: "session")
        for t in times { counter.record(at: t, properties: "") }
        #expect(counter.count == Double(times.count))
        #expect(counter.buckets.count == EventCounter.windowDays)
        #expect(counter.buckets.reduce(0, +) <= UInt32(times.count))
    }

    @Test func aCounterFromAnOldRecordWithAnExtremeNewestDayStillCounts() {
        var counter = EventCounter(type: "session")
        counter.record(at: 0, properties: "")
        counter.newestDay = .min  // as a record written before day numbers were clamped could hold
        counter.record(at: 86_400, properties: "")
        #expect(counter.newestDay == 1)
        #expect(counter.buckets[0] == 1)
        counter.newestDay = .max
        counter.record(at: 86_400, properties: "")
        #expect(counter.count == 3)
    }

    @Test func timestampsAreValidatedOnTheWayIn() {
        #expect(Timestamp(iso8601: "0001-01-01T00:00:00Z")?.seconds == Timestamp.earliest)
        #expect(Timestamp(iso8601: "9999-12-31T23:59:59Z")?.seconds == Timestamp.latest)
        #expect(Timestamp(iso8601: "9999-12-31T23:59:59-01:00") == nil, "past the year 9999 once the offset applies")
        #expect(Timestamp(iso8601: "0001-01-01T00:00:00+01:00") == nil, "before the year 1 once the offset applies")
        #expect(Timestamp(iso8601: "0000-06-01") == nil)
        #expect(Timestamp(iso8601: "2026-13-01") == nil)
        #expect(Timestamp(iso8601: "2026-02-29") == nil, "2026 is not a leap year")
        #expect(Timestamp(iso8601: "2024-02-29") != nil)
        #expect(Timestamp(iso8601: "2026-04-31T00:00:00Z") == nil)
        #expect(Timestamp(iso8601: "2026-11-25T10:00:00+24:00") == nil)
        #expect(Timestamp(iso8601: "2026-11-25T10:00:00+05:60") == nil)
        #expect(Timestamp(seconds: 9.3e18) == nil)
        #expect(Timestamp(seconds: .nan) == nil)
        #expect(Timestamp(seconds: -.infinity) == nil)
        #expect(Timestamp.duration("1e300d") == nil)
        #expect(Timestamp.duration("-5s") == nil)
    }

    @Test func storedTimesOfAnyValueFormatAndBucketWithoutTrapping() {
        for t in [9.3e18, -9.3e18, 1e300, .infinity, -.infinity, .nan, Self.yearZero] {
            #expect(Timestamp.format(t) == "", "\(t)")
        }
        #expect(Timestamp.format(Timestamp.latest) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.format(Timestamp.earliest) == "0001-01-01T00:00:00Z")
        #expect(Timestamp.day(of: 1e24) == Timestamp.day(of: Timestamp.latest))
        #expect(Timestamp.day(of: -1e24) == Timestamp.day(of: Timestamp.earliest))
        #expect(Timestamp.day(of: .nan) == 0)
    }

    /// ProfileSchema used its own ISO-8601 check, which took month 13: such a stored `timestamp` then never
    /// parsed in a condition. Now the schema and conditions share one parser.
    @Test(arguments: [
        ("2026-11-25T10:00:00Z", true), ("2026-11-25", true), ("2026-11-25T10:00:00.250+02:00", true),
        ("2026-13-01T00:00:00Z", false), ("2026-02-30", false), ("0000-01-01", false), ("2026-11-25T25:00:00Z", false),
    ])
    func aStoredTimestampAttributeIsOneConditionsCanRead(text: String, valid: Bool) {
        let stored = AttributeType.timestamp.validate(.string(text))
        let accepted: Bool
        if case .success = stored { accepted = true } else { accepted = false }
        #expect(accepted == valid)
        #expect((Timestamp(iso8601: text) != nil) == valid)
    }

    @Test func exportOfARecordWithOutOfRangeTimesGivesNulls() throws {
        let bundle = try demoBundle()
        let churn = try #require(bundle.segments.first { $0.name == "churn_risk" })
        var profile = ProfileData(version: 1, consent: nil, segmentIDs: [], attributes: [])
        profile.memberships = [SegmentMembership(id: churn.id, score: nil, expiresAt: 9.3e18)]
        _ = profile.behaviour.record(type: "session", at: 1e24, properties: .object([]))
        var raw = profile.encode()
        // The encoder stores times inside the valid range...
        let clamped = withUnsafeBytes(of: Timestamp.latest.bitPattern.littleEndian) { Array($0) }
        let at = try #require(
            raw.indices.dropLast(7).first { raw[$0..<$0 + 8].elementsEqual(clamped) }, "expiry stored clamped")
        // ...but a record written before validation may hold anything: put 9.3e18 back in place.
        raw.replaceSubrange(at..<at + 8, with: withUnsafeBytes(of: (9.3e18).bitPattern.littleEndian) { Array($0) })
        let json = try raw.withUnsafeBytes { bytes in
            ProfileData(try #require(ProfileView(bytes))).exportJSON(user: "x", bundle: bundle, now: now)
        }
        guard case .array(let segments)? = json["segments"], let first = segments.first else {
            Issue.record("no segments in \(json.jsonText)")
            return
        }
        #expect(first["expires_at"] == .null)
        #expect(json["behaviour"]?["events"]?["session"]?["count"] == .number(1))
        #expect(json["behaviour"]?["events"]?["session"]?["last_at"] == .string("9999-12-31T23:59:59Z"))
    }

    @Test(arguments: [
        (#"{"op":"event","type":"session","ts":1e24}"#, "ops[0].ts"),
        (#"{"op":"event","type":"session","ts":"2026-13-01T00:00:00Z"}"#, "ops[0].ts"),
        (#"{"op":"add_segment","id":"churn_risk","expires_at":9.3e18}"#, "ops[0].expires_at"),
        (#"{"op":"add_segment","id":"churn_risk","ttl":9.3e18}"#, "ops[0].ttl"),
        (#"{"op":"append","path":"interests","value":"x","max":1e30}"#, "ops[0].max"),
    ])
    func deltaParsingRejectsOutOfRangeNumbersNamingTheField(op: String, field: String) throws {
        let bundle = try demoBundle()
        #expect(throws: ProfileInput.Rejection.self) {
            try delta(#"{"user":"u","seq":1,"ops":[\#(op)]}"#, bundle: bundle)
        }
        do {
            _ = try delta(#"{"user":"u","seq":1,"ops":[\#(op)]}"#, bundle: bundle)
        } catch let r as ProfileInput.Rejection {
            #expect(r.field == field, "\(op): \(r)")
        }
    }

    @Test(arguments: ["1e16", "18446744073709551615", "0", "-1", "1.5", "9007199254740992"])
    func seqOutsideOneToTwoToTheFiftyThreeIsRejected(seq: String) throws {
        let bundle = try demoBundle()
        do {
            _ = try delta(#"{"user":"u","seq":\#(seq),"ops":[]}"#, bundle: bundle)
            Issue.record("seq \(seq) was accepted")
        } catch let r as ProfileInput.Rejection {
            #expect(r.field == "seq")
        }
        #expect(ProfileDelta.seq(Substring(seq)) == nil)
    }

    @Test func theLargestSeqIsAccepted() throws {
        let d = try delta(#"{"user":"u","seq":9007199254740991,"ops":[]}"#, bundle: try demoBundle())
        #expect(d.seq == ProfileDelta.maxSeq)
        #expect(ProfileDelta.seq("9007199254740991") == ProfileDelta.maxSeq)
    }
}
