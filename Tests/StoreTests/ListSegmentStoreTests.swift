import Decision
import Foundation
import Store
import Targeting
import Testing

@Suite("List segments in the store")
struct ListSegmentStoreTests {
    func members(_ text: String, _ format: ListMembers.Format = .lines) throws -> ListMembers {
        var m = ListMembers(format: format)
        try Array(text.utf8).withUnsafeBytes { b in try m.add(text: b) }
        return m
    }

    /// Membership as a decide sees it: through a reader's snapshot.
    func lookup(_ store: DataStore, _ number: Int, _ id: String?) throws -> Bool? {
        try ProfileReader(store: store).withSnapshot { snap in
            guard let id else { return snap.savedGroup(number, contains: nil) }
            let key = Array(id.utf8)
            return key.withUnsafeBytes {
                snap.savedGroup(number, contains: SavedGroupMember(tag: SavedGroupMember.stringTag, payload: $0))
            }
        }
    }

    @Test func replaceMergeAndDeleteAsADecideSeesThem() throws {
        let (store, dir) = try makeTemporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try store.writeList("vip", members: try members("u3\nu1\n\n  u2 \nu1\n"), mode: .replace, now: 1)
        #expect(first.info.count == 3)
        #expect(first.created)
        let n = first.info.number
        #expect(try lookup(store, n, "u1") == true)
        #expect(try lookup(store, n, "u2") == true, "surrounding spaces are not part of the id")
        #expect(try lookup(store, n, "u4") == false)
        #expect(try lookup(store, n, nil) == false, "the list exists")
        #expect(try store.liveListNumbers() == ["vip": n])

        // The same upload again changes nothing.
        let again = try store.writeList("vip", members: try members("u3\nu1\nu2\n"), mode: .replace, now: 2)
        #expect(again.info.count == 3)
        #expect(!again.created)

        let merged = try store.writeList("vip", members: try members("u4\nu1\n"), mode: .merge, now: 3)
        #expect(merged.info.count == 4)
        #expect(merged.added == 1)
        #expect(try lookup(store, n, "u4") == true)

        let replaced = try store.writeList("vip", members: try members("u9\n"), mode: .replace, now: 4)
        #expect(replaced.info.count == 1)
        #expect(replaced.removed == 3)
        #expect(try lookup(store, n, "u1") == false)

        #expect(try store.deleteList("vip", now: 5) != nil)
        #expect(try lookup(store, n, "u9") == nil, "a deleted list answers nil: both tests are false")
        #expect(try lookup(store, n, nil) == nil)
        #expect(try store.liveListNumbers().isEmpty)
        #expect(try store.deleteList("vip", now: 6) == nil)

        // Imported again, it keeps its number, so compiled conditions find it.
        let back = try store.writeList("vip", members: try members("u1\n"), mode: .merge, now: 7)
        #expect(back.info.number == n)
        #expect(back.created)
        #expect(back.info.count == 1)
        #expect(try lookup(store, n, "u1") == true)
        #expect(try lookup(store, n, "u9") == false, "the deleted list's ids are gone")
    }

    @Test func listsAreSeparateTables() throws {
        let (store, dir) = try makeTemporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try store.writeList("a", members: try members("x\n"), mode: .replace, now: 1).info.number
        let b = try store.writeList("b", members: try members("y\n"), mode: .replace, now: 1).info.number
        #expect(a != b)
        // Replacing `a` with keys that sort after `b`'s must not collide with `b` (each list is its own table).
        _ = try store.writeList("a", members: try members("zzz\n"), mode: .replace, now: 2)
        #expect(try lookup(store, a, "zzz") == true)
        #expect(try lookup(store, a, "y") == false)
        #expect(try lookup(store, b, "y") == true)
        #expect(try lookup(store, 999, "y") == nil, "an unknown number is no list")
    }

    @Test func ndjsonKeepsIdTypes() throws {
        let (store, dir) = try makeTemporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = try members("\"u1\"\n42\n{\"id\": \"u2\"}\n{\"id\": 7}\n", .ndjson)
        let n = try store.writeList("typed", members: m, mode: .replace, now: 1).info.number
        #expect(try lookup(store, n, "u2") == true)
        #expect(try lookup(store, n, "42") == false, "the number 42 is not the string \"42\"")
        let hit = try ProfileReader(store: store).withSnapshot { snap in
            withUnsafeBytes(of: (42.0).bitPattern.bigEndian) {
                snap.savedGroup(n, contains: SavedGroupMember(tag: SavedGroupMember.numberTag, payload: $0))
            }
        }
        #expect(hit == true)
    }

    @Test(arguments: [
        ("u1\n\(String(repeating: "x", count: 501))\n", ListMembers.Format.lines, 2, 1, "id is 501 bytes"),
        ("\"u1\"\n\"u2\n", .ndjson, 2, 4, "unterminated string"),
        ("\"u1\"\ntrue\n", .ndjson, 2, 1, "an id must be a string or a number"),
        ("{\"name\": \"x\"}\n", .ndjson, 1, 1, "an object line needs an \"id\""),
    ])
    func badLinesNameTheirPosition(text: String, format: ListMembers.Format, line: Int, column: Int, message: String)
        throws
    {
        let error = #expect(throws: ListMembers.ParseError.self) { try members(text, format) }
        #expect(error?.line == line)
        #expect(error?.column == column)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func invalidUTF8IsRefused() {
        var m = ListMembers(format: .lines)
        let error = #expect(throws: ListMembers.ParseError.self) {
            try [UInt8]([0x75, 0x31, 0x0A, 0x20, 0xFF, 0x62]).withUnsafeBytes { b in try m.add(text: b) }
        }
        #expect(error == ListMembers.ParseError(line: 2, column: 2, message: "id is not valid UTF-8"))
    }

    /// LMDB's table count is fixed when the environment opens: the list past the limit is a typed refusal
    /// (409 over HTTP), not a storage error, and every earlier list still works.
    @Test func aListPastTheLimitIsRefusedAndTheOthersKeepWorking() throws {
        try withTemporaryStore { store in
            let one = try members("x\n")
            for i in 1...DataStore.maxLists {
                _ = try store.writeList("l\(i)", members: one, mode: .replace, now: 1)
            }
            #expect(throws: ListLimitReached.self) {
                try store.writeList("one-too-many", members: one, mode: .replace, now: 1)
            }
            #expect(try store.listInfo("one-too-many") == nil)
            let last = try #require(try store.listInfo("l\(DataStore.maxLists)"))
            #expect(try lookup(store, last.number, "x") == true)
            _ = try store.writeList("l1", members: try members("y\n"), mode: .merge, now: 2)
        }
    }
}
