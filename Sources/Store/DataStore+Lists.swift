import Foundation
import LMDB

/// List segments (GrowthBook saved groups): named sets of ids, each stored as its own sorted LMDB table of
/// keys (``SavedGroupMember`` form, empty values), so a membership test is one keyed lookup and a list costs
/// what its keys cost.
///
/// The `lists` catalog maps a list name to its record (``ListInfo``): a number given once per name and kept
/// when the list is deleted and imported again, so compiled conditions (which hold the number) keep
/// working. A list's table also holds a marker key (one zero byte) while the list exists: a decide tells
/// "not a member" from "list deleted" by it.
extension DataStore {
    /// One list segment's catalog record.
    public struct ListInfo: Sendable, Equatable, Codable {
        /// The list's name.
        public var name: String
        /// Its number (its table is `list.N`; compiled conditions refer to it by this).
        public var number: Int
        /// Distinct ids stored.
        public var count: Int
        /// When it last changed (epoch seconds).
        public var updatedAt: Double
        /// False once deleted (the number stays reserved for the name).
        public var live: Bool
    }

    /// How an upload combines with the stored list.
    public enum ListWriteMode: String, Sendable, CaseIterable {
        /// The list becomes exactly the upload's ids.
        case replace
        /// The upload's ids are added to the stored ones.
        case merge
    }

    /// What one upload did.
    public struct ListWriteSummary: Sendable, Equatable {
        /// The list after the write.
        public var info: ListInfo
        /// Ids in the upload that were not stored before.
        public var added: Int
        /// Ids stored before and not in the upload (replace only).
        public var removed: Int
        /// Whether the list was created by this write (or re-created after a delete).
        public var created: Bool
    }

    /// The marker key present while a list exists.
    static let listMarker: [UInt8] = [0]

    /// Whether `name` can name a list: 1 to 64 ASCII letters, digits and `_ . : -`.
    public static func isValidListName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":") || b == UInt8(ascii: "-")
        }
    }

    /// The catalog record of `name`, deleted lists included; `nil` for a name never used.
    public func listInfo(_ name: String) throws -> ListInfo? {
        let txn = try ReadTransaction(environment)
        defer { txn.reset() }
        guard let raw = try txn.get(lists, key: name) else { return nil }
        return try JSONDecoder().decode(ListInfo.self, from: Data(raw))
    }

    /// Every catalog record, by name.
    public func allLists() throws -> [ListInfo] {
        let txn = try ReadTransaction(environment)
        defer { txn.reset() }
        var out: [ListInfo] = []
        try txn.forEach(lists) { _, value in
            out.append(try JSONDecoder().decode(ListInfo.self, from: Data(value)))
            return true
        }
        return out
    }

    /// The lists that exist now, name → number: what the condition compiler may refer to.
    public func liveListNumbers() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for info in try allLists() where info.live { out[info.name] = info.number }
        return out
    }

    /// Replaces or merges list `name` with `members` in one write transaction, answered after it commits
    /// (readers see the old list or the new one, never a mix). Idempotent: the same upload again changes
    /// nothing but `updatedAt`. `progress` is called with the ids written so far, every 100,000.
    public func writeList(
        _ name: String, members: ListMembers, mode: ListWriteMode, now: Double,
        progress: (Int) -> Void = { _ in }
    ) throws -> ListWriteSummary {
        precondition(Self.isValidListName(name), "list names are validated by the caller")
        let previous = try listInfo(name)
        let number: Int
        if let previous {
            number = previous.number
        } else {
            number = (try allLists().map(\.number).max() ?? 0) + 1
            guard number <= Self.maxLists else { throw ListLimitReached(limit: Self.maxLists) }
        }
        let table = try listTables.create(number, environment: environment)
        let txn = try WriteTransaction(environment)
        var stored = 0
        var added = 0
        let before = previous?.live == true ? previous!.count : 0
        switch mode {
        case .replace:
            // Emptied and refilled in key order with MDB_APPEND: full pages, no splits, no per-key search.
            try txn.clear(table)
            try Self.listMarker.withUnsafeBytes { try txn.append(table, key: $0) }
            try members.forEachSorted { key in
                try txn.append(table, key: key)
                stored += 1
                if stored % 100_000 == 0 { progress(stored) }
            }
            // Counting what was added would need the old keys; the count difference is what callers report.
            added = max(0, stored - before)
        case .merge:
            stored = before
            if previous?.live != true {
                try txn.clear(table)
                stored = 0
            }
            try Self.listMarker.withUnsafeBytes {
                try txn.put(table, key: $0, value: UnsafeRawBufferPointer(start: nil, count: 0))
            }
            var seen = 0
            try members.forEachSorted { key in
                if try txn.get(table, key: key) == nil {
                    try txn.put(table, key: key, value: UnsafeRawBufferPointer(start: nil, count: 0))
                    added += 1
                    stored += 1
                }
                seen += 1
                if seen % 100_000 == 0 { progress(seen) }
            }
        }
        let info = ListInfo(name: name, number: number, count: stored, updatedAt: now, live: true)
        try txn.put(lists, key: Array(name.utf8), value: Array(try JSONEncoder().encode(info)))
        try txn.commit()
        return ListWriteSummary(
            info: info, added: added, removed: mode == .replace ? max(0, before - stored) : 0,
            created: previous?.live != true)
    }

    /// Deletes list `name`: its table is emptied (marker included), so every test on it is false from the
    /// next decide on; the number stays reserved for the name. Returns the deleted record, or `nil` when there
    /// is no such live list.
    @discardableResult
    public func deleteList(_ name: String, now: Double) throws -> ListInfo? {
        guard var info = try listInfo(name), info.live else { return nil }
        let table = try listTables.create(info.number, environment: environment)
        let txn = try WriteTransaction(environment)
        try txn.clear(table)
        info.live = false
        info.count = 0
        info.updatedAt = now
        try txn.put(lists, key: Array(name.utf8), value: Array(try JSONEncoder().encode(info)))
        try txn.commit()
        return info
    }

    /// Opens this process's handle of every list table in the catalog that is not open yet.
    ///
    /// A read transaction sees only the handles that were open when it began, so a handle opened in the
    /// middle of a decide serves from the next one on. The store opens every list when it is opened, and
    /// the server again before it installs a bundle, so the lists a bundle tests (created by another process,
    /// such as `tessera lists import`, while the server runs) are open before its first decide.
    public func openListTables() throws {
        for info in try allLists() { _ = try listTables.handle(info.number, environment: environment) }
    }

    /// The table of list `number` for readers (`nil`: no such table in this environment).
    func listTable(_ number: Int) throws(LMDBError) -> Database? {
        try listTables.handle(number, environment: environment)
    }
}

/// A new list would pass ``DataStore/maxLists`` (LMDB's table count is fixed when the environment opens).
public struct ListLimitReached: Error, Sendable, CustomStringConvertible {
    /// The most list names a data directory holds.
    public var limit: Int

    public var description: String {
        "a data directory holds at most \(limit) list names, deleted ones included (a deleted list keeps its number for its name): import under an existing name"
    }
}
