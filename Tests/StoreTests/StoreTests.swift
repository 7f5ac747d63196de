import BundleCompiler
import Decision
import Foundation
import Publishing
import Store
import Testing

@Suite("Data store")
struct StoreTests {
    let smallSources = BundleSources(
        templates: ["t": "Hi {{attributes.name}}"], schema: "attributes:\n  name: string\n  n: integer\n",
        segments: "segments:\n  vip:\n    assigned: true\n",
        slots: ["Mappings/slots/s.yaml": "slot: s\ndefault: { template: t }\n"])

    /// Publishes the small bundle through the one publishing path and returns it.
    @discardableResult
    func publishSmall(_ store: DataStore) throws -> CompiledBundle {
        try ContentPublisher(store: store).publish(sources: smallSources, origin: .compile).1
    }

    @Test func publishesRevisionsInOrder() throws {
        let (store, dir) = try makeTemporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try store.currentBundle() == nil)
        #expect(try ContentPublisher(store: store).publish(sources: smallSources, origin: .compile).0.revision == 1)
        #expect(try ContentPublisher(store: store).publish(sources: smallSources, origin: .compile).0.revision == 2)
        let current = try #require(try store.currentBundle())
        #expect(current.revision == 2)
        #expect(current.bundle.slots.map(\.id) == ["s"])
    }

    @Test func onlyRecentRevisionsKeepTheirBundleAndSources() throws {
        let dir = NSTemporaryDirectory() + "store-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = DataStore.Options()
        o.mapSize = 64 << 20
        o.retainedRevisions = 2
        let store = try DataStore(path: dir, options: o)
        for _ in 0..<4 { try publishSmall(store) }
        #expect(try store.sources(of: 1) == nil)
        #expect(try store.sources(of: 2) == nil)
        #expect(try store.sources(of: 3) != nil)
        #expect(try store.sources(of: 4) != nil)
        #expect(try store.revisionHistory().map(\.revision) == [4, 3, 2, 1])
        #expect(try store.currentBundle()?.revision == 4)
    }

    @Test func importsGoodLinesAndReportsBadOnesByNumber() throws {
        let (store, dir) = try makeTemporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let b = try publishSmall(store)
        let lines = [
            #"{"id":"u1","attributes":{"name":"Ana","n":3},"segments":["vip"]}"#,
            #"{"id":"u2","attributes":{"nickname":"x"}}"#,
            #"{"id":"u3","attributes":{"n":"three"}}"#,
            #"{"id":"u4", oops}"#,
            #"{"id":"u5","segments":["ghost"]}"#,
            #"{"id":"u6","attributes":{"n":2.5}}"#,
            "",
            #"{"id":"u7"}"#,
        ]
        var it = lines.makeIterator()
        let summary = try ProfileImporter(store: store, bundle: b).run(lines: { it.next().map { Array($0.utf8) } })
        #expect(summary.imported == 2)
        #expect(
            summary.rejected == [
                "line 2: attributes.nickname: not in schema.yaml (only schema attributes are stored)",
                "line 3: attributes.n: expected integer, got the string \"three\"",
                "line 4:13: invalid JSON: expected a member name in double quotes",
                "line 5: segments[0]: unknown segment 'ghost' (not in segments.yaml)",
                "line 6: attributes.n: expected integer, got a number",
            ])
        let reader = try ProfileReader(store: store)
        try reader.withSnapshot { snap in
            let u1 = try #require(try snap.profile("u1"))
            #expect(u1.explicitSegmentCount == 1)
            #expect(try snap.profile("u2") == nil)
            #expect(try snap.profile("u7") != nil)
        }
    }

    @Test func reimportBumpsTheVersionOnlyWhenTheRecordChanges() throws {
        let (store, dir) = try makeTemporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let b = try publishSmall(store)
        for name in ["Ana", "Ana", "Ana", "Bea"] {
            var it = [#"{"id":"u1","attributes":{"name":"\#(name)"}}"#].makeIterator()
            _ = try ProfileImporter(store: store, bundle: b).run(lines: { it.next().map { Array($0.utf8) } })
        }
        let version = try ProfileReader(store: store).withSnapshot { snap in try snap.profile("u1")?.version }
        #expect(version == 2)
    }
}
