import CLMDB

/// A read-write transaction. LMDB allows one at a time per environment; others wait in `init`.
///
/// Either ``commit()`` or ``abort()`` it; a transaction dropped without either is aborted.
public final class WriteTransaction {
    let handle: OpaquePointer
    // Keeps the environment open while the transaction exists.
    let environment: Environment
    private var finished = false

    /// Begins a write transaction (blocks while another writer holds the lock).
    public init(_ environment: Environment) throws(LMDBError) {
        var txn: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(environment.handle, nil, 0, &txn), "mdb_txn_begin(write)")
        self.handle = txn!
        self.environment = environment
    }

    deinit {
        if !finished { mdb_txn_abort(handle) }
    }

    /// The value stored under `key` as seen by this transaction (valid until the next write or the end).
    public func get(_ database: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> UnsafeRawBufferPointer? {
        try lmdbGet(handle, database, key)
    }

    /// The value stored under the UTF-8 bytes of `key`.
    public func get(_ database: Database, key: String) throws(LMDBError) -> UnsafeRawBufferPointer? {
        let bytes = Array(key.utf8)
        let result: Result<UnsafeRawBufferPointer?, LMDBError> = bytes.withUnsafeBytes { k in
            Result { () throws(LMDBError) in try lmdbGet(handle, database, k) }
        }
        return try result.get()
    }

    /// Stores `value` under `key`, replacing any previous value.
    public func put(_ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(LMDBError)
    {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try LMDBError.check(mdb_put(handle, database.dbi, &k, &v, 0), "mdb_put(\(database.name))")
    }

    /// Appends `key` (empty value) to `database`, whose keys must all sort before it (`MDB_APPEND`): a bulk load
    /// of sorted keys fills each page completely instead of splitting pages half full. Throws `MDB_KEYEXIST`
    /// (as an ``LMDBError``) when `key` does not sort after every stored key.
    public func append(_ database: Database, key: UnsafeRawBufferPointer) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: 0, mv_data: nil)
        try LMDBError.check(
            mdb_put(handle, database.dbi, &k, &v, UInt32(MDB_APPEND)), "mdb_put(\(database.name), append)")
    }

    /// Stores `value` under `key` (both as byte arrays).
    public func put(_ database: Database, key: [UInt8], value: [UInt8]) throws(LMDBError) {
        let result: Result<Void, LMDBError> = key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in Result { () throws(LMDBError) in try put(database, key: k, value: v) } }
        }
        try result.get()
    }

    /// Removes `key`; returns false when it was not there.
    @discardableResult
    public func delete(_ database: Database, key: [UInt8]) throws(LMDBError) -> Bool {
        let rc = key.withUnsafeBytes { k in
            var kv = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_del(handle, database.dbi, &kv, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try LMDBError.check(rc, "mdb_del(\(database.name))")
        return true
    }

    /// Removes every key of `database`.
    public func clear(_ database: Database) throws(LMDBError) {
        try LMDBError.check(mdb_drop(handle, database.dbi, 0), "mdb_drop(\(database.name))")
    }

    /// Calls `body` for each pair whose key starts with `prefix`, in key order, until it returns false.
    public func forEach(
        _ database: Database, prefix: [UInt8] = [],
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try lmdbScan(handle, database, prefix: prefix, body)
    }

    /// Makes every change durable (fsynced unless the environment was opened with `durableCommits == false`).
    public func commit() throws(LMDBError) {
        precondition(!finished, "transaction already finished")
        finished = true
        try LMDBError.check(mdb_txn_commit(handle), "mdb_txn_commit")
    }

    /// Discards every change.
    public func abort() {
        guard !finished else { return }
        finished = true
        mdb_txn_abort(handle)
    }
}
