public import Decision
public import LMDB
public import Targeting

/// Reads profiles in place for one thread: holds a reusable read transaction (see ``ReadTransaction``).
///
/// The server keeps one per event loop. ``withSnapshot(_:)`` takes a fresh snapshot, runs the body, and
/// releases the snapshot, so a long-lived loop never pins old pages.
public final class ProfileReader {
    let store: DataStore
    let txn: ReadTransaction
    /// This reader's copy of the list table handles, so a lookup takes no lock.
    let lists: ListHandleCache

    /// A reader over `store` (idle until ``withSnapshot(_:)``).
    public init(store: DataStore) throws {
        self.store = store
        self.txn = try ReadTransaction(store.environment)
        self.lists = ListHandleCache(store: store)
        txn.reset()
    }

    /// Runs `body` inside one consistent snapshot. Profile views are valid only inside `body`.
    @inline(__always)
    public func withSnapshot<R>(_ body: (Snapshot) throws -> R) throws -> R {
        try txn.renew()
        defer { txn.reset() }
        return try body(Snapshot(store: store, txn: txn, lists: lists))
    }

    /// One read snapshot.
    public struct Snapshot: SavedGroupLookup {
        let store: DataStore
        let txn: ReadTransaction
        let lists: ListHandleCache

        /// The stored profile of `user`, read in place, or `nil` when unknown (or unreadable).
        @inline(__always)
        public func profile(_ user: String) throws -> ProfileView? {
            guard let raw = try txn.get(store.profiles, key: user) else { return nil }
            return ProfileView(raw)
        }

        /// List segment membership in this snapshot: one lookup for a member; a non-member takes a second
        /// (the list's marker) to tell "not in the list" from "list deleted". An unreadable table counts as
        /// deleted (`nil`), so its tests are false rather than guessed.
        @inline(__always)
        public func savedGroup(_ number: Int, contains member: SavedGroupMember?) -> Bool? {
            guard let table = lists.table(number) else { return nil }
            if let member, member.payload.count <= ListMembers.maxIDBytes {
                let found = withUnsafeTemporaryAllocation(byteCount: member.payload.count + 1, alignment: 1) {
                    key -> Bool? in
                    key[0] = member.tag
                    if member.payload.count > 0 {
                        UnsafeMutableRawBufferPointer(rebasing: key[1...]).copyMemory(from: member.payload)
                    }
                    do {
                        return try txn.get(table, key: UnsafeRawBufferPointer(key)) != nil
                    } catch {
                        return nil
                    }
                }
                guard let found else { return nil }
                if found { return true }
            }
            let marker: Bool? = DataStore.listMarker.withUnsafeBytes { key in
                do {
                    return try txn.get(table, key: key) != nil
                } catch {
                    return nil
                }
            }
            return marker == true ? false : nil
        }

        /// Every stored profile in key order (user id, record read in place), until `body` returns false.
        public func forEachProfile(_ body: (String, ProfileView) throws -> Bool) throws {
            try txn.forEach(store.profiles) { k, v in
                guard let view = ProfileView(v) else { return true }
                return try body(String(decoding: k, as: UTF8.self), view)
            }
        }

        /// The sticky variant stored for `user` in `experiment` (``DataStore/sticky``), read in this snapshot.
        public func stickyVariant(user: String, experiment: String) -> (bucketVersion: Int, variant: String)? {
            let key = DataStore.stickyKey(user: user, experiment: experiment)
            let found: (Int, String)?? = try? key.withUnsafeBytes { k in
                guard let v = try txn.get(store.sticky, key: k), v.count >= 4 else { return nil }
                let version = Int(UInt32(littleEndian: v.loadUnaligned(as: UInt32.self)))
                return (version, String(decoding: v[4...], as: UTF8.self))
            }
            return found.flatMap { $0 }
        }
    }
}

/// One reader's list table handles by number, filled from the store's table on first use of a number.
final class ListHandleCache {
    let store: DataStore
    private var handles: [Database?] = []

    init(store: DataStore) {
        self.store = store
    }

    @inline(__always)
    func table(_ number: Int) -> Database? {
        if number >= 0, number < handles.count, let db = handles[number] { return db }
        return fill(number)
    }

    // A list the reader has not seen: ask the store (its lock, and maybe an LMDB handle open) once.
    private func fill(_ number: Int) -> Database? {
        guard number >= 0, number <= DataStore.maxLists * 4, let db = try? store.listTable(number) else { return nil }
        if handles.count <= number { handles.append(contentsOf: repeatElement(nil, count: number + 1 - handles.count)) }
        handles[number] = db
        return db
    }
}
