import CLMDB

#if canImport(Glibc)
    import Glibc
#endif

/// One LMDB environment: a memory-mapped data file plus its lock file, opened once per process.
///
/// Owns the `MDB_env*`. Readers (``ReadTransaction``) and writers (``WriteTransaction``) are created from it;
/// named databases are opened once with ``openDatabase(_:)`` and their handles reused by every transaction.
public final class Environment: @unchecked Sendable {
    // Safe to share: LMDB environments are thread-safe; MDB_NOTLS lets read transactions move between threads.
    let handle: OpaquePointer

    /// Options for opening an environment.
    public struct Options: Sendable {
        /// Maximum size of the memory map (the largest the data file may grow), bytes. Default 8 GiB.
        public var mapSize: Int = 8 << 30
        /// Maximum number of named databases. Default 16.
        public var maxDatabases: UInt32 = 16
        /// Maximum number of concurrent read transactions. Default 512.
        public var maxReaders: UInt32 = 512
        /// When false, commits are not fsynced (`MDB_NOSYNC`): faster, but the last commits can be lost on a
        /// machine crash (never on a process crash). Default true.
        public var durableCommits = true
        /// Opens the environment read-only.
        public var readOnly = false

        /// Defaults as documented on each property.
        public init() {}
    }

    /// The directory holding `data.mdb` and `lock.mdb`.
    public let path: String

    /// Opens (creating if needed) the environment in directory `path`.
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(12 /* ENOMEM */, "mdb_env_create") }
        do {
            try LMDBError.check(mdb_env_set_mapsize(env, options.mapSize), "mdb_env_set_mapsize")
            try LMDBError.check(mdb_env_set_maxdbs(env, options.maxDatabases), "mdb_env_set_maxdbs")
            try LMDBError.check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
            var flags = UInt32(MDB_NOTLS)
            if !options.durableCommits { flags |= UInt32(MDB_NOSYNC) }
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try LMDBError.check(mdb_env_open(env, path, flags, 0o644), "opening LMDB environment at \(path)")
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
    }

    deinit {
        mdb_env_close(handle)
    }

    /// Opens (creating when `create`) the named database `name` and returns its handle.
    ///
    /// Call once at startup; the handle is valid for the environment's lifetime.
    public func openDatabase(_ name: String, create: Bool = true) throws(LMDBError) -> Database {
        let txn = try WriteTransaction(self)
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn.handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi)
        if rc != 0 {
            txn.abort()
            throw LMDBError(rc, "opening database '\(name)'")
        }
        try txn.commit()
        return Database(dbi: dbi, name: name)
    }

    /// Flushes the data file to disk (useful after commits made with `durableCommits == false`).
    public func sync() throws(LMDBError) {
        try LMDBError.check(mdb_env_sync(handle, 1), "mdb_env_sync")
    }

    /// Unmaps this process's view of the data file's pages (they stay in the kernel's page cache and are
    /// mapped again, without I/O, on the next read). The map is read-only and shared, so nothing is lost.
    /// A pass that reads the whole file, like a bulk import, calls this between write transactions so its
    /// resident set follows its batches rather than the size of the file.
    public func releaseMappedPages() {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        guard mdb_env_info(handle, &info) == 0, mdb_env_stat(handle, &stat) == 0, let base = info.me_mapaddr else {
            return
        }
        let length = min(Int(info.me_mapsize), (Int(info.me_last_pgno) + 1) * Int(stat.ms_psize))
        _ = madvise(base, length, MADV_DONTNEED)
    }

    /// Reader slots left behind by dead processes are released; returns how many.
    @discardableResult
    public func clearStaleReaders() -> Int {
        var dead: Int32 = 0
        mdb_reader_check(handle, &dead)
        return Int(dead)
    }
}

/// A named database handle inside an ``Environment``.
public struct Database: Sendable, Hashable {
    let dbi: UInt32
    /// The database's name.
    public let name: String
}
