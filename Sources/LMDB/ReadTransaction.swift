import CLMDB

/// A reusable read-only transaction: one consistent snapshot of the environment.
///
/// The hot path keeps one per event loop and calls ``renew()`` / ``reset()`` around each request: renewing
/// reuses the reader slot, so no lock is taken and nothing is allocated. Values returned by ``get(_:key:)``
/// point straight into the memory map and stay valid until the next ``reset()``.
/// Not thread-safe: use from one thread at a time.
public final class ReadTransaction {
    let handle: OpaquePointer
    // Keeps the environment open for as long as a transaction on it exists (closing it first would leave
    // `handle` dangling in `deinit`).
    let environment: Environment
    /// Whether a snapshot is currently held.
    public private(set) var isActive: Bool

    /// Begins a read transaction (active).
    public init(_ environment: Environment) throws(LMDBError) {
        var txn: OpaquePointer?
        try LMDBError.check(
            mdb_txn_begin(environment.handle, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(read-only)")
        self.handle = txn!
        self.environment = environment
        self.isActive = true
    }

    deinit {
        mdb_txn_abort(handle)
    }

    /// Releases the snapshot so writers can reuse its pages; the handle stays ready for ``renew()``.
    @inline(__always)
    public func reset() {
        if isActive {
            mdb_txn_reset(handle)
            isActive = false
        }
    }

    /// Takes a fresh snapshot of the latest committed data.
    @inline(__always)
    public func renew() throws(LMDBError) {
        if isActive { mdb_txn_reset(handle) }
        try LMDBError.check(mdb_txn_renew(handle), "mdb_txn_renew")
        isActive = true
    }

    /// The value stored under `key`, without copying: valid until ``reset()``. `nil` when absent.
    @inline(__always)
    public func get(_ database: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> UnsafeRawBufferPointer? {
        try lmdbGet(handle, database, key)
    }

    /// The value stored under the UTF-8 bytes of `key`.
    public func get(_ database: Database, key: String) throws(LMDBError) -> UnsafeRawBufferPointer? {
        var k = key
        let result: Result<UnsafeRawBufferPointer?, LMDBError> = k.withUTF8 { bytes in
            Result { () throws(LMDBError) in try lmdbGet(handle, database, UnsafeRawBufferPointer(bytes)) }
        }
        return try result.get()
    }

    /// Calls `body` for each key/value pair whose key starts with `prefix`, in key order, until it returns false.
    public func forEach(
        _ database: Database, prefix: [UInt8] = [],
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try lmdbScan(handle, database, prefix: prefix, body)
    }

    /// Calls `body` for each pair whose key sorts at or after `start`, in key order, until it returns false.
    public func forEach(
        _ database: Database, from start: [UInt8],
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try lmdbScan(handle, database, prefix: start, matchPrefix: false, body)
    }
}

/// Shared by read and write transactions.
@inline(__always)
func lmdbGet(_ txn: OpaquePointer, _ database: Database, _ key: UnsafeRawBufferPointer) throws(LMDBError)
    -> UnsafeRawBufferPointer?
{
    var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
    var v = MDB_val()
    let rc = mdb_get(txn, database.dbi, &k, &v)
    if rc == MDB_NOTFOUND { return nil }
    try LMDBError.check(rc, "mdb_get(\(database.name))")
    return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
}

func lmdbScan(
    _ txn: OpaquePointer, _ database: Database, prefix: [UInt8], matchPrefix: Bool = true,
    _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
) throws {
    var cursor: OpaquePointer?
    try LMDBError.check(mdb_cursor_open(txn, database.dbi, &cursor), "mdb_cursor_open(\(database.name))")
    defer { mdb_cursor_close(cursor) }
    var k = MDB_val()
    var v = MDB_val()
    var rc: Int32
    if prefix.isEmpty {
        rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
    } else {
        rc = prefix.withUnsafeBytes { p in
            k = MDB_val(mv_size: p.count, mv_data: UnsafeMutableRawPointer(mutating: p.baseAddress))
            return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
        }
    }
    while rc == 0 {
        let key = UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)
        if matchPrefix && !prefix.isEmpty && !key.starts(with: prefix) { break }
        if try !body(key, UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) { break }
        rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
    }
    if rc != 0 && rc != MDB_NOTFOUND { throw LMDBError(rc, "mdb_cursor_get(\(database.name))") }
}
