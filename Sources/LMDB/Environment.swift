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
    /// Where the data file is mapped (for ``releaseMappedPages()``); `nil` when unknown.
    let mappedRegion: (start: UInt, length: Int)?

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
        self.mappedRegion = Self.findMappedRegion(path: path)
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

    /// The handle of the existing named database `name`, or `nil` if there is none. Opened in a read-only
    /// transaction, so it never waits for a writer; LMDB allows only one transaction at a time to open
    /// handles, so callers serialize calls (and ``openDatabase(_:create:)``) themselves.
    public func openExistingDatabase(_ name: String) throws(LMDBError) -> Database? {
        var txn: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(read-only)")
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn, name, 0, &dbi)
        // Committing (not aborting) a read-only transaction keeps a handle it opened for the environment.
        let end = mdb_txn_commit(txn)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "opening database '\(name)'")
        try LMDBError.check(end, "mdb_txn_commit(read-only)")
        return Database(dbi: dbi, name: name)
    }

    /// Flushes the data file to disk (useful after commits made with `durableCommits == false`).
    public func sync() throws(LMDBError) {
        try LMDBError.check(mdb_env_sync(handle, 1), "mdb_env_sync")
    }

    /// Unmaps this process's view of the data file's pages (they stay in the kernel's page cache and are
    /// mapped again, without I/O, on the next read). The map is read-only and shared, and a write
    /// transaction's dirty pages live outside it, so this is safe at any time, even inside a transaction.
    ///
    /// A pass that reads records all over the file, like a bulk import, calls this every few hundred
    /// records: each read fault maps up to 64 KiB of neighbouring cached pages ("fault-around"), so
    /// 10,000 scattered reads would otherwise map most of a gigabyte-sized file. Linux only (elsewhere a
    /// no-op).
    public func releaseMappedPages() {
        #if os(Linux)
            guard let (start, length) = mappedRegion, let base = UnsafeMutableRawPointer(bitPattern: start) else {
                return
            }
            _ = madvise(base, length, MADV_DONTNEED)
        #endif
    }

    /// Asks the kernel to read the data file into the page cache (`MADV_WILLNEED` over the file's current
    /// length of the map), so the first reads of a freshly started server wait less on the disk: a server
    /// whose 11.5 GB file was out of the cache answered 64 decisions/s, one major page fault after another on
    /// its event loop. The kernel reads asynchronously and as far as it sees fit (on the development VM about
    /// 4 GB in the first 5 s). Measured against a background thread reading the file with 8 MiB `pread`s,
    /// which competed with the serving faults for the disk and was slower for the first half minute
    /// (`Loadtest/benchmarks/results-2026-12-01-cost-growth.md`). May block while it queues the reads, so call
    /// it off the serving threads. Returns the bytes advised (0 where unsupported). Linux only.
    @discardableResult
    public func prefetchMappedPages() -> Int {
        #if os(Linux)
            guard let (start, length) = mappedRegion, let base = UnsafeMutableRawPointer(bitPattern: start) else {
                return 0
            }
            var info = stat()
            guard stat(path + "/data.mdb", &info) == 0 else { return 0 }
            let used = min(length, Int(info.st_size))
            guard used > 0, madvise(base, used, MADV_WILLNEED) == 0 else { return 0 }
            return used
        #else
            return 0
        #endif
    }

    /// Where data.mdb is mapped in this process (start address, length), from /proc/self/maps: LMDB reports
    /// the map's address only with MDB_FIXEDMAP.
    static func findMappedRegion(path: String) -> (start: UInt, length: Int)? {
        #if os(Linux)
            guard let dataFile = realpath(path + "/data.mdb", nil) else { return nil }
            defer { free(dataFile) }
            let target = String(cString: dataFile)
            guard let maps = fopen("/proc/self/maps", "r") else { return nil }
            defer { fclose(maps) }
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(line) }
            while getline(&line, &capacity, maps) > 0, let line {
                let text = String(cString: line).dropLast()  // "start-end perms offset dev inode path"
                guard text.hasSuffix(target), let dash = text.firstIndex(of: "-"),
                    let space = text.firstIndex(of: " "),
                    let start = UInt(text[..<dash], radix: 16),
                    let end = UInt(text[text.index(after: dash)..<space], radix: 16)
                else { continue }
                return (start, Int(end - start))
            }
        #endif
        return nil
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
