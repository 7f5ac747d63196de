import BundleCompiler
import Decision
import Foundation
import JSON
import LMDB
import Publishing
import Store
import Targeting
import Testing

/// 2026-11-25T10:00:00Z, the writer's clock in these tests.
let importNow = 1_795_600_800.0

@Suite("Profile import: merge and replace over deltas, tombstones, idempotent reruns")
struct ProfileImporterTests {
    let store: DataStore
    let dir: String
    let bundle: CompiledBundle

    init() throws {
        dir = NSTemporaryDirectory() + "import-test-" + UUID().uuidString
        var o = DataStore.Options()
        o.mapSize = 64 << 20
        store = try DataStore(path: dir, options: o)
        let sources = BundleSources(
            templates: ["t": "Hi {{attributes.name}}"],
            schema: "attributes:\n  name: string\n  n: integer\n  tags: list<string>\n",
            segments: "segments:\n  vip:\n    assigned: true\n  churn:\n    assigned: true\n",
            slots: ["Mappings/slots/s.yaml": "slot: s\ndefault: { template: t }\n"])
        bundle = try ContentPublisher(store: store).publish(sources: sources, origin: .compile).1
    }

    /// Removes the temp directory (called at the end of each test).
    func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }

    /// Imports `lines` with `mode` (and optionally a rejection cap) and returns the summary.
    @discardableResult
    func importLines(_ lines: [String], mode: ProfileSnapshot.Mode = .merge, batchSize: Int = 10_000, cap: Int = 100)
        throws -> ProfileImporter.Summary
    {
        var importer = ProfileImporter(store: store, bundle: bundle)
        importer.mode = mode
        importer.batchSize = batchSize
        importer.maxReportedRejections = cap
        var it = lines.makeIterator()
        return try importer.run(lines: { it.next().map { Array($0.utf8) } })
    }

    /// Applies deltas (JSON lines) through a real ``DeltaWriter`` and returns their outcomes.
    func applyDeltas(_ lines: [String]) async throws -> [DeltaOutcome] {
        let deltas = try lines.map { try ProfileDelta.parse(try JSONValue.parse($0), bundle: bundle) }
        return try await withWriter { writer in
            try await withCheckedThrowingContinuation { c in writer.submit(deltas) { c.resume(with: $0) } }
        }
    }

    /// Erases `user` through a real ``DeltaWriter``.
    func erase(_ user: String) async throws -> ErasureOutcome {
        try await withWriter { writer in
            try await withCheckedThrowingContinuation { c in writer.erase(user: user) { c.resume(with: $0) } }
        }
    }

    func withWriter<T>(_ body: (DeltaWriter) async throws -> T) async throws -> T {
        var configuration = DeltaWriter.Configuration()
        configuration.clock = { importNow }
        let writer = try DeltaWriter(store: store, configuration: configuration)
        writer.start()
        defer { writer.stop() }
        return try await body(writer)
    }

    /// The stored record of `user`, as bytes, and in owned form.
    func stored(_ user: String) throws -> (bytes: [UInt8], profile: ProfileData)? {
        try ProfileReader(store: store).withSnapshot { snap in
            try snap.profile(user).map { (Array($0.bytes), ProfileData($0)) }
        }
    }

    func id(_ attribute: String) -> UInt16 { bundle.schema.attribute(named: attribute)!.id }
    func segment(_ name: String) -> UInt16 { bundle.segments.first { $0.name == name }!.id }

    /// u1 with seq 5, a scored expiring vip membership, behaviour and consent, all from deltas.
    func seedDeltaUser() async throws {
        try importLines([#"{"id":"u1","attributes":{"name":"Ana","n":3},"segments":["churn"]}"#])
        let outcomes = try await applyDeltas([
            #"{"user":"u1","seq":4,"ts":"2026-11-25T09:00:00Z","ops":[{"op":"add_segment","id":"vip","score":0.5,"ttl":"7d"},{"op":"event","type":"session"}]}"#,
            #"{"user":"u1","seq":5,"ts":"2026-11-25T09:30:00Z","ops":[{"op":"event","type":"add_to_cart","properties":{"sku":"s1","price":20}},{"op":"consent","purpose":"personalization","granted":true}]}"#,
        ])
        #expect(outcomes == [.applied(previousSeq: 0, gap: false), .applied(previousSeq: 4, gap: false)])
    }

    @Test func mergeAppliesTheLineOnTopAndKeepsSeqBehaviourAndMembershipDetails() async throws {
        defer { cleanUp() }
        try await seedDeltaUser()
        let before = try #require(try stored("u1")).profile
        let summary = try importLines([#"{"id":"u1","attributes":{"n":4,"tags":["x"]},"segments":["vip"]}"#])
        #expect(summary.updated == 1)
        let after = try #require(try stored("u1")).profile
        #expect(after.seq == 5)
        #expect(after.version == before.version + 1)
        #expect(after.attribute(id("name")) == .string("Ana"), "merge keeps attributes the line does not name")
        #expect(after.attribute(id("n")) == .number(4))
        #expect(after.attribute(id("tags")) == .stringList(["x"]))
        #expect(after.consent == true, "a line without consent keeps the stored one")
        #expect(after.behaviour == before.behaviour)
        #expect(after.behaviour.cart.skus == ["s1"])
        let vip = try #require(after.memberships.first { $0.id == segment("vip") })
        #expect(vip.score == 0.5)
        #expect(vip.expiresAt == Timestamp(iso8601: "2026-12-02T09:00:00Z")?.seconds)
        #expect(after.memberships.contains { $0.id == segment("churn") }, "merge keeps unlisted memberships")

        // A null attribute removes it in merge mode.
        try importLines([#"{"id":"u1","attributes":{"name":null}}"#])
        #expect(try #require(try stored("u1")).profile.attribute(id("name")) == nil)
    }

    @Test func replaceSwapsAttributesSegmentsAndConsentButKeepsSeqAndBehaviour() async throws {
        defer { cleanUp() }
        try await seedDeltaUser()
        let before = try #require(try stored("u1")).profile
        try importLines([#"{"id":"u1","attributes":{"n":4},"segments":["vip"]}"#], mode: .replace)
        let after = try #require(try stored("u1")).profile
        #expect(after.seq == 5)
        #expect(after.attribute(id("name")) == nil, "replace drops attributes the line does not name")
        #expect(after.attribute(id("n")) == .number(4))
        #expect(after.memberships.map(\.id) == [segment("vip")], "churn is gone")
        #expect(after.memberships.first?.score == 0.5, "a listed membership keeps its score and expiry")
        #expect(after.consent == nil, "the line records no consent")
        #expect(after.behaviour == before.behaviour, "no events in the line: behaviour stays")

        // Events in a replace line rebuild the behaviour from them alone.
        try importLines(
            [
                #"{"id":"u1","attributes":{"n":4},"events":[{"type":"purchase","ts":"2026-11-01T10:00:00Z","properties":{"value":80}}]}"#
            ],
            mode: .replace)
        let rebuilt = try #require(try stored("u1")).profile
        #expect(rebuilt.behaviour.events.map(\.type) == ["purchase"])
        #expect(rebuilt.behaviour.orderCount == 1)
        #expect(rebuilt.behaviour.orderValue == 80)
        #expect(rebuilt.seq == 5)
    }

    @Test(arguments: ProfileSnapshot.Mode.allCases)
    func importNeverLowersSeqSoReplayedDeltasStayDuplicates(mode: ProfileSnapshot.Mode) async throws {
        defer { cleanUp() }
        try await seedDeltaUser()
        try importLines([#"{"id":"u1","attributes":{"name":"Snapshot"}}"#], mode: mode)
        #expect(try #require(try stored("u1")).profile.seq == 5)
        let replay = try await applyDeltas([
            #"{"user":"u1","seq":4,"ops":[{"op":"set","path":"name","value":"Old replay"}]}"#,
            #"{"user":"u1","seq":6,"ops":[{"op":"increment","path":"n","by":1}]}"#,
        ])
        #expect(replay == [.duplicate(storedSeq: 5), .applied(previousSeq: 5, gap: false)])
        let p = try #require(try stored("u1")).profile
        #expect(p.attribute(id("name")) == .string("Snapshot"))
        #expect(p.seq == 6)
    }

    @Test(arguments: ProfileSnapshot.Mode.allCases)
    func tombstonedUserIsNotResurrectedByImport(mode: ProfileSnapshot.Mode) async throws {
        defer { cleanUp() }
        try await seedDeltaUser()
        let erased = try await erase("u1")
        #expect(erased.existed && erased.tombstoneSeq == 5)
        let summary = try importLines(
            [#"{"id":"u2","attributes":{"n":1}}"#, #"{"id":"u1","attributes":{"name":"Back"}}"#], mode: mode)
        #expect(summary.created == 1)
        #expect(summary.rejectedCount == 1)
        #expect(
            summary.rejected == [
                "line 2: id: user 'u1' was erased (tombstone at seq 5); the snapshot may predate the erasure, so import does not recreate them (a delta with a newer seq does)"
            ])
        #expect(try stored("u1") == nil)
        #expect(try stored("u2") != nil)
        // A delta with a newer seq still starts a fresh profile.
        let fresh = try await applyDeltas([#"{"user":"u1","seq":6,"ops":[{"op":"set","path":"n","value":1}]}"#])
        #expect(fresh == [.applied(previousSeq: 5, gap: false)])
    }

    @Test(arguments: ProfileSnapshot.Mode.allCases)
    func rerunningTheSameFileLeavesEveryRecordByteIdentical(mode: ProfileSnapshot.Mode) async throws {
        defer { cleanUp() }
        try await seedDeltaUser()
        let lines = (1...50).map { i in
            #"{"id":"u\#(i)","attributes":{"name":"N\#(i)","n":\#(i),"tags":["a","b"]},"segments":["vip"],"consent":{"personalization":\#(i % 3 != 0)},"events":[{"type":"session","ts":"2026-11-2\#(i % 5)T08:00:00Z"},{"type":"add_to_cart","ts":"2026-11-2\#(i % 5)T08:05:00Z","properties":{"sku":"k\#(i)","quantity":2,"price":9.5}},{"type":"session","ts":"2026-11-2\#(i % 5)T09:00:00Z"}]}"#
        }
        // Small batches, so a rerun crosses several transactions.
        let first = try importLines(lines, mode: mode, batchSize: 7)
        #expect(first.created == 49 && first.updated == 1 && first.rejectedCount == 0)
        let snapshot = try (1...50).map { try #require(try stored("u\($0)")).bytes }
        let second = try importLines(lines, mode: mode, batchSize: 7)
        #expect(second.unchanged == 50)
        #expect(second.created == 0 && second.updated == 0)
        let again = try (1...50).map { try #require(try stored("u\($0)")).bytes }
        #expect(again == snapshot, "same stored bytes, versions included")
        let u2 = try #require(try stored("u2")).profile
        #expect(u2.behaviour.events.first { $0.type == "session" }?.count == 2, "events were not counted twice")
        #expect(u2.behaviour.cart.quantities == [2])
    }

    @Test func mergeRecordsOnlyEventsNewerThanTheStoredOnesOfTheirType() throws {
        defer { cleanUp() }
        try importLines([
            #"{"id":"u1","events":[{"type":"session","ts":"2026-11-20T08:00:00Z"},{"type":"session","ts":"2026-11-21T08:00:00Z"}]}"#
        ])
        try importLines([
            #"{"id":"u1","events":[{"type":"session","ts":"2026-11-21T08:00:00Z"},{"type":"session","ts":"2026-11-22T08:00:00Z"},{"type":"purchase","ts":"2026-11-01T08:00:00Z","properties":{"value":10}}]}"#
        ])
        let p = try #require(try stored("u1")).profile
        let session = try #require(p.behaviour.events.first { $0.type == "session" })
        #expect(session.count == 3, "the 21st was already recorded; the 22nd is new")
        #expect(session.lastAt == Timestamp(iso8601: "2026-11-22T08:00:00Z")?.seconds)
        #expect(p.behaviour.orderCount == 1, "an older event of a type never seen is recorded")
    }

    @Test func anEventTypeOverTheLimitRejectsTheLineNamingItsOwnIndex() throws {
        defer { cleanUp() }
        try importLines([#"{"id":"u1","attributes":{"n":1},"events":[{"type":"t0","ts":100}]}"#])
        let events = [#"{"type":"t0","ts":50}"#] + (1...64).map { #"{"type":"t\#($0)","ts":200}"# }
        let summary = try importLines([
            #"{"id":"u1","attributes":{"n":2},"events":["# + events.joined(separator: ",") + "]}"
        ])
        #expect(summary.rejected == ["line 1: events[64].type: the profile already has 64 event types"])
        let p = try #require(try stored("u1")).profile
        #expect(p.attribute(id("n")) == .number(1), "the whole line changed nothing")
        #expect(p.behaviour.events.map(\.type) == ["t0"])
    }

    @Test func badLinesAreReportedWithLineNumbersAndTheRestImported() throws {
        defer { cleanUp() }
        let summary = try importLines([
            #"{"id":"u1","attributes":{"n":1}}"#,
            #"{"id":"u2","events":[{"type":"session"}]}"#,
            #"{"id":"u3","events":[{"type":"a.b","ts":1}]}"#,
            #"{"id":"u4","events":{"type":"session"}}"#,
            #"{"id":"u5","events":[{"type":"session","ts":1,"where":"x"}]}"#,
            #"{"id":"u6","extra":1}"#,
            "",
            #"{"id":"u8","attributes":{"n":8}}"#,
        ])
        #expect(summary.lines == 8)
        #expect(summary.created == 2)
        #expect(
            summary.rejected == [
                "line 2: events[0].ts: missing: every imported event needs its time (ISO-8601 or epoch seconds)",
                "line 3: events[0].type: expected an event type of 1 to 64 printable ASCII characters without dots",
                "line 4: events: expected an array of events",
                "line 5: events[0].where: unknown field 'where' (expected properties, ts, type)",
                "line 6: extra: unknown field (expected id, attributes, segments, consent, events)",
            ])
        #expect(try stored("u8") != nil)
    }

    @Test func rejectedLinesAreCappedButCounted() throws {
        defer { cleanUp() }
        var lines: [String] = []
        for i in 1...1000 {
            lines.append(i % 4 == 0 ? #"{"id":"u\#(i)","attributes":{"n":"bad"}}"# : #"{"id":"u\#(i)"}"#)
        }
        let summary = try importLines(lines, batchSize: 64, cap: 3)
        #expect(summary.rejectedCount == 250)
        #expect(summary.rejected.count == 3)
        #expect(summary.rejected.first == "line 4: attributes.n: expected integer, got the string \"bad\"")
        #expect(summary.created == 750)
    }

    /// The reader parses the next batch while the writer commits the previous one: with batches of 3, the
    /// same users rewritten in every batch and rejections from both stages (parse and store), the result is
    /// that of applying the lines in order.
    @Test func overlappingBatchesApplyInLineOrder() async throws {
        defer { cleanUp() }
        try await seedDeltaUser()
        #expect(try await erase("u1").existed)
        var lines: [String] = []
        var expectedRejections: [String] = []
        for k in 1...60 {
            let user = "u\(k % 7 + 1)"
            if k % 11 == 0 {
                lines.append(#"{"id":"\#(user)","attributes":{"n":"bad"}}"#)
                expectedRejections.append("line \(k): attributes.n: expected integer, got the string \"bad\"")
            } else {
                lines.append(#"{"id":"\#(user)","attributes":{"n":\#(k)}}"#)
                if user == "u1" {
                    expectedRejections.append(
                        "line \(k): id: user 'u1' was erased (tombstone at seq 5); the snapshot may predate the erasure, so import does not recreate them (a delta with a newer seq does)"
                    )
                }
            }
        }
        let summary = try importLines(lines, batchSize: 3)
        #expect(summary.lines == 60)
        #expect(summary.rejected == expectedRejections, "rejections of both stages, in line order")
        #expect(summary.rejectedCount == expectedRejections.count)
        #expect(summary.created == 6 && summary.imported == 60 - expectedRejections.count)
        for u in 2...7 {
            let last = (1...60).last { $0 % 7 + 1 == u && $0 % 11 != 0 }!
            let p = try #require(try stored("u\(u)")).profile
            #expect(p.attribute(id("n")) == .number(Double(last)), "u\(u) holds its last line's value")
        }
        #expect(try stored("u1") == nil)
    }

    /// A write that fails on the writer thread (the map is full) ends the import with that error, after
    /// the batch in flight; what was committed before stays.
    @Test func aFailedWriteEndsTheImportWithItsError() throws {
        let small = NSTemporaryDirectory() + "import-full-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: small) }
        var o = DataStore.Options()
        o.mapSize = 1 << 20
        let store = try DataStore(path: small, options: o)
        let bundle = try ContentPublisher(store: store).publish(sources: BundleSources(
            templates: ["t": "Hi"], schema: "attributes:\n  name: string\n", segments: "segments: {}\n",
            slots: ["Mappings/slots/s.yaml": "slot: s\ndefault: { template: t }\n"]), origin: .compile).1
        var importer = ProfileImporter(store: store, bundle: bundle)
        importer.batchSize = 10
        let name = String(repeating: "x", count: 4000)
        var next = 0
        var reported = 0
        #expect(throws: LMDBError.self) {
            _ = try importer.run(
                lines: {
                    next += 1
                    return next <= 2_000 ? Array(#"{"id":"u\#(next)","attributes":{"name":"\#(name)"}}"#.utf8) : nil
                },
                progress: { reported = $0.created })
        }
        #expect(reported > 0, "batches committed before the full one were reported")
        let kept = try ProfileReader(store: store).withSnapshot { snap in try snap.profile("u1") != nil }
        #expect(kept)
    }
}
