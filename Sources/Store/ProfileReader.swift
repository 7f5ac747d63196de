public import Decision
public import LMDB

/// Reads profiles in place for one thread: holds a reusable read transaction (see ``ReadTransaction``).
///
/// The server keeps one per event loop. ``withSnapshot(_:)`` takes a fresh snapshot, runs the body, and
/// releases the snapshot, so a long-lived loop never pins old pages.
public final class ProfileReader {
    let store: DataStore
    let txn: ReadTransaction

    /// A reader over `store` (idle until ``withSnapshot(_:)``).
    public init(store: DataStore) throws {
        self.store = store
        self.txn = try ReadTransaction(store.environment)
        txn.reset()
    }

    /// Runs `body` inside one consistent snapshot. Profile views are valid only inside `body`.
    @inline(__always)
    public func withSnapshot<R>(_ body: (Snapshot) throws -> R) throws -> R {
        try txn.renew()
        defer { txn.reset() }
        return try body(Snapshot(store: store, txn: txn))
    }

    /// One read snapshot.
    public struct Snapshot {
        let store: DataStore
        let txn: ReadTransaction

        /// The stored profile of `user`, read in place, or `nil` when unknown (or unreadable).
        @inline(__always)
        public func profile(_ user: String) throws -> ProfileView? {
            guard let raw = try txn.get(store.profiles, key: user) else { return nil }
            return ProfileView(raw)
        }
    }
}
