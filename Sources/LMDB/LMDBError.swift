import CLMDB

/// A failed LMDB call: the C return code, its text from `mdb_strerror`, and what was being done.
public struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The LMDB (or errno) return code.
    public let code: Int32
    /// What Tessera was doing, e.g. "mdb_env_open(./data)".
    public let operation: String

    /// The library's own text for `code`.
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "\(operation): \(message) (\(code))" }

    /// True when the map is full (the data directory needs a larger `--map-size`).
    public var isMapFull: Bool { code == MDB_MAP_FULL }

    init(_ code: Int32, _ operation: @autoclosure () -> String) {
        self.code = code
        self.operation = operation()
    }

    /// Throws an `LMDBError` unless `code` is `MDB_SUCCESS`.
    @inline(__always)
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        if code != 0 { throw LMDBError(code, operation()) }
    }
}
