import Foundation
import LMDB
import Testing

/// A fresh environment in its own temporary directory.
func makeEnvironment(_ options: Environment.Options = Environment.Options()) throws -> (Environment, String) {
    let dir = NSTemporaryDirectory() + "lmdb-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var o = options
    o.mapSize = 64 << 20
    return (try Environment(path: dir, options: o), dir)
}

@Suite("LMDB wrapper")
struct LMDBTests {
    @Test func putThenGetInPlace() throws {
        let (env, dir) = try makeEnvironment()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try env.openDatabase("things")
        let w = try WriteTransaction(env)
        try w.put(db, key: Array("k1".utf8), value: [1, 2, 3])
        try w.commit()
        let r = try ReadTransaction(env)
        let v = try r.get(db, key: "k1")
        #expect(v.map { Array($0) } == [1, 2, 3])
        #expect(try r.get(db, key: "missing") == nil)
    }

    /// The prefetch advises exactly the data file's current length of the map (not the whole 64 MiB map,
    /// which is mostly beyond the end of the file), and still works after the file grew.
    @Test func prefetchAdvisesTheDataFilesLength() throws {
        let (env, dir) = try makeEnvironment()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try env.openDatabase("things")
        func fileSize() throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: dir + "/data.mdb")[.size] as? Int)
        }
        #expect(env.prefetchMappedPages() == (try fileSize()))
        let w = try WriteTransaction(env)
        for i in 0..<2_000 { try w.put(db, key: Array("key\(i)".utf8), value: [UInt8](repeating: 7, count: 1_000)) }
        try w.commit()
        let grown = try fileSize()
        #expect(grown > 1 << 20)
        #expect(env.prefetchMappedPages() == grown)
    }

    @Test func readerKeepsItsSnapshotWhileAWriterCommits() throws {
        let (env, dir) = try makeEnvironment()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try env.openDatabase("things")
        let w1 = try WriteTransaction(env)
        try w1.put(db, key: Array("k".utf8), value: Array("old".utf8))
        try w1.commit()

        let reader = try ReadTransaction(env)
        let w2 = try WriteTransaction(env)
        try w2.put(db, key: Array("k".utf8), value: Array("new".utf8))
        try w2.commit()
        #expect(try reader.get(db, key: "k").map { String(decoding: $0, as: UTF8.self) } == "old")
        try reader.renew()
        #expect(try reader.get(db, key: "k").map { String(decoding: $0, as: UTF8.self) } == "new")
    }

    @Test func abortedWriteChangesNothing() throws {
        let (env, dir) = try makeEnvironment()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try env.openDatabase("things")
        let w = try WriteTransaction(env)
        try w.put(db, key: Array("k".utf8), value: [9])
        w.abort()
        let r = try ReadTransaction(env)
        #expect(try r.get(db, key: "k") == nil)
    }

    @Test func scansByPrefixInKeyOrder() throws {
        let (env, dir) = try makeEnvironment()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try env.openDatabase("things")
        let w = try WriteTransaction(env)
        for k in ["b2", "a1", "b1", "c1"] { try w.put(db, key: Array(k.utf8), value: [0]) }
        try w.commit()
        let r = try ReadTransaction(env)
        var seen: [String] = []
        try r.forEach(db, prefix: Array("b".utf8)) { k, _ in
            seen.append(String(decoding: k, as: UTF8.self))
            return true
        }
        #expect(seen == ["b1", "b2"])
    }

    @Test func errorsCarryLMDBText() throws {
        let dir = "/proc/definitely-not-writable-\(UUID().uuidString)"
        do {
            _ = try Environment(path: dir)
            Issue.record("opening \(dir) should fail")
        } catch {
            #expect(error.description.contains("opening LMDB environment at \(dir)"))
            #expect(!error.message.isEmpty)
        }
    }
}
