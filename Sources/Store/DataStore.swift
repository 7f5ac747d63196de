public import Decision
import Foundation
public import LMDB

/// Tessera's one LMDB environment in a data directory: profiles, compiled bundles by revision, metadata.
///
/// Opened once per process. Databases: `profiles` (user id → ``ProfileRecord``), `bundles` (revision as 8
/// big-endian bytes → compiled bundle), `meta` (`revision` → current revision, 8 big-endian bytes),
/// `sources` and `revisions` (per revision: the sources it was compiled from, its history entry),
/// `deliveries` (CMS delivery id → the answer given) and `tombstones` (erased user id → u64 highest seq seen,
/// f64 erased at), `lists` (list segment name → ``ListInfo``) and one `list.N` table per list segment (see
/// `DataStore+Lists.swift`).
public final class DataStore: Sendable {
    /// The environment.
    public let environment: Environment
    /// The data directory.
    public let path: String
    /// Revisions whose bundle and sources are kept.
    public let retainedRevisions: UInt64
    /// User id → profile record.
    public let profiles: Database
    /// Revision → compiled bundle.
    public let bundles: Database
    /// Small metadata values.
    public let meta: Database
    /// Revision → the publisher's sources of that revision (so a publish can apply changes on top of it).
    public let sources: Database
    /// Revision → revision history entry (JSON).
    public let revisions: Database
    /// CMS delivery id → the answer given (idempotent redelivery).
    public let deliveries: Database
    /// Erased user id → tombstone (u64 highest seq seen, f64 erased at), written by ``DeltaWriter``; import
    /// refuses to recreate a tombstoned user.
    public let tombstones: Database
    /// List segment name → its catalog record (``ListInfo``, JSON).
    public let lists: Database
    /// User id, NUL, experiment key → sticky assignment (u32 bucket version, variant id), written by the
    /// outcome collector on a user's first exposure, read by decisions; erased with the user.
    public let sticky: Database
    /// This process's handles of the `list.N` tables.
    let listTables = ListTables()

    /// Named databases besides the list tables (fifteen today, with the outcome store's, plus room to grow).
    static let fixedDatabases: UInt32 = 24
    /// List segments a data directory can hold.
    public static let maxLists = 240

    static let revisionKey = Array("revision".utf8)

    /// The 8-byte key a user id's outcome assignments are kept under (FNV-1a 64 of its bytes); the outcome
    /// store's `assignments` keys start with it (big-endian), which is how erasure finds them.
    public static func userKey(_ user: some Collection<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in user {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The ``sticky`` key of `user` in `experiment`.
    public static func stickyKey(user: String, experiment: String) -> [UInt8] {
        Array(user.utf8) + [0] + Array(experiment.utf8)
    }

    /// The ``sticky`` value: the bucket version and variant id.
    public static func stickyValue(bucketVersion: Int, variant: String) -> [UInt8] {
        withUnsafeBytes(of: UInt32(clamping: bucketVersion).littleEndian) { Array($0) } + Array(variant.utf8)
    }

    /// Options for opening the store.
    public struct Options: Sendable {
        /// Largest size the data file may grow to. Default 8 GiB.
        public var mapSize = 8 << 30
        /// Fsync every commit (the default). Off trades crash safety of the last commits for speed.
        public var durableCommits = true
        /// How many recent revisions keep their compiled bundle and sources (for rollback and preview).
        /// Older ones keep only their history entry. Default 1000 (about 40 KB each for the demo bundle).
        public var retainedRevisions: UInt64 = 1000
        /// Defaults as documented.
        public init() {}
    }

    /// Opens (creating) the store in directory `path`.
    public init(path: String, options: Options = Options()) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var envOptions = Environment.Options()
        envOptions.mapSize = options.mapSize
        envOptions.durableCommits = options.durableCommits
        envOptions.maxDatabases = Self.fixedDatabases + UInt32(Self.maxLists)
        let env = try Environment(path: path, options: envOptions)
        env.clearStaleReaders()
        self.environment = env
        self.path = path
        self.retainedRevisions = max(1, options.retainedRevisions)
        self.profiles = try env.openDatabase("profiles")
        self.bundles = try env.openDatabase("bundles")
        self.meta = try env.openDatabase("meta")
        self.sources = try env.openDatabase("sources")
        self.revisions = try env.openDatabase("revisions")
        self.deliveries = try env.openDatabase("deliveries")
        self.tombstones = try env.openDatabase("tombstones")
        self.lists = try env.openDatabase("lists")
        self.sticky = try env.openDatabase("sticky")
        try openListTables()
    }

    /// Asks the kernel to read the data file into its page cache (``Environment/prefetchMappedPages()``);
    /// call it off the serving threads. Returns the bytes advised.
    @discardableResult
    public func prefetch() -> Int { environment.prefetchMappedPages() }

    /// The current revision number (8 bytes read; nothing decoded), or `nil` before the first compile.
    public func currentRevision() throws -> UInt64? {
        let txn = try ReadTransaction(environment)
        defer { txn.reset() }
        return try txn.get(meta, key: "revision").map { UInt64(bigEndianBytes: $0) }
    }

    /// The current revision and its compiled bundle, or `nil` before the first compile.
    public func currentBundle() throws -> (revision: UInt64, bundle: CompiledBundle)? {
        let txn = try ReadTransaction(environment)
        defer { txn.reset() }
        guard let raw = try txn.get(meta, key: "revision") else { return nil }
        let revision = UInt64(bigEndianBytes: raw)
        return (revision, try loadBundle(revision, txn: txn))
    }

    func loadBundle(_ revision: UInt64, txn: ReadTransaction) throws -> CompiledBundle {
        let key = revision.bigEndianBytes
        guard let bytes = try key.withUnsafeBytes({ k in try txn.get(bundles, key: k) }) else {
            throw StoreError.missingRevision(revision)
        }
        return try JSONDecoder().decode(CompiledBundle.self, from: Data(bytes))
    }
}

/// Store failures that are not LMDB errors.
public enum StoreError: Error, CustomStringConvertible {
    /// The metadata names a revision whose bundle is missing.
    case missingRevision(UInt64)
    /// No bundle has been compiled into this data directory.
    case noBundle(path: String)

    public var description: String {
        switch self {
        case .missingRevision(let r): return "bundle for revision \(r) is missing from the data directory"
        case .noBundle(let path):
            return "no compiled bundle in \(path): run `tessera compile --data \(path)` first"
        }
    }
}

extension UInt64 {
    /// 8 big-endian bytes (sorts in numeric order as an LMDB key).
    var bigEndianBytes: [UInt8] { withUnsafeBytes(of: bigEndian) { Array($0) } }

    init(bigEndianBytes raw: UnsafeRawBufferPointer) {
        var v: UInt64 = 0
        for b in raw.prefix(8) { v = v << 8 | UInt64(b) }
        self = v
    }
}
