public import Decision
import Foundation
public import LMDB
public import Store
import Targeting

/// Where outcomes are kept, in the data directory's LMDB environment:
///
/// - `decision_log`: sequence number (8 bytes big-endian) → one ``Exposure`` (the raw log, bounded by
///   ``Options/decisionLogBytes``, oldest first out).
/// - `outcome_counts`: counter key → ``OutcomeCounters``. Keys are names joined by NUL, first a kind:
///   `e` experiment, variant; `E` experiment, variant, segment; `s` slot, rule (empty for the default),
///   variant; `S` slot, rule, variant, segment; `B` bandit experiment, variant, group (the bandit's
///   per-segment group, "" for everyone else). Kept regardless of the raw log's bound.
/// - `assignments`: user key (8 bytes) + unit + outcome → first and last exposure, revision, segments, flags.
///   A unit is an experiment (`e` + key) or a slot (`s` + id). It makes users distinct per outcome and
///   attributes conversions to the user's last exposure per unit.
/// - `feedback_seen`: a click or conversion token already counted → when (pruned after the token window).
/// - `outcome_meta`: the token secret, the log's bounds, and each revision's ``OutcomeCatalog`` (JSON).
///
/// Every method here runs inside the ``OutcomeCollector``'s write transaction.
public final class OutcomeStore: Sendable {
    /// Settings.
    public struct Options: Sendable {
        /// The raw decision log's size bound, in bytes of records. Default 256 MiB.
        public var decisionLogBytes = 256 << 20
        /// How long a click token stays valid, in seconds. Default 24 hours.
        public var tokenWindow: Double = 86_400
        /// How far back a conversion looks for the exposure it is attributed to. Default 7 days.
        public var attributionWindow: Double = 7 * 86_400
        /// Defaults as documented.
        public init() {}
    }

    public let store: DataStore
    public let options: Options
    let log: Database
    let counts: Database
    let assignments: Database
    let seen: Database
    let meta: Database

    /// Opens (creating) the outcome databases of `store`.
    public init(store: DataStore, options: Options = Options()) throws {
        self.store = store
        self.options = options
        let env = store.environment
        log = try env.openDatabase("decision_log")
        counts = try env.openDatabase("outcome_counts")
        assignments = try env.openDatabase("assignments")
        seen = try env.openDatabase("feedback_seen")
        meta = try env.openDatabase("outcome_meta")
    }

    // MARK: - Keys

    /// The 8-byte key a user id is counted under (FNV-1a 64 of its bytes).
    @inline(__always)
    public static func userKey(_ user: some Collection<UInt8>) -> UInt64 { DataStore.userKey(user) }

    static func join(_ kind: UInt8, _ parts: [String]) -> [UInt8] {
        var key: [UInt8] = [kind]
        for p in parts {
            key.append(0)
            key.append(contentsOf: p.utf8)
        }
        return key
    }

    /// A measured unit (experiment or slot) of one outcome, and its counter keys.
    struct Unit {
        /// `e` + key or `s` + slot id.
        let unit: [UInt8]
        /// The outcome within the unit (variant, or rule and variant).
        let outcome: [UInt8]
        /// Counter key of the outcome.
        let counter: [UInt8]
        /// Counter key of the outcome within `segment`.
        let segmentCounter: (String) -> [UInt8]
        /// For a bandit's variant: the counter key of the user's bandit group (from their segment names).
        var banditCounter: (([String]) -> [UInt8])? = nil
    }

    /// The `B` counter key (experiment, variant, group) of a bandit variant for a user in `segments`: the group
    /// is the first `per_segment` segment the user is in, else "" (everyone else). `nil` for other outcomes.
    static func banditCounter(_ d: OutcomeDescription, segments: [String]) -> [UInt8]? {
        guard let b = d.bandit, let e = d.experiment else { return nil }
        let group = b.perSegment.first(where: segments.contains) ?? ""
        return join(UInt8(ascii: "B"), [e, d.variant, group])
    }

    static func units(slot: String, _ d: OutcomeDescription) -> [Unit] {
        let rule = d.rule ?? ""
        var out = [
            Unit(
                unit: join(UInt8(ascii: "s"), [slot]), outcome: join(0, [rule, d.variant]),
                counter: join(UInt8(ascii: "s"), [slot, rule, d.variant]),
                segmentCounter: { join(UInt8(ascii: "S"), [slot, rule, d.variant, $0]) })
        ]
        if let e = d.experiment {
            var u = Unit(
                unit: join(UInt8(ascii: "e"), [e]), outcome: join(0, [d.variant]),
                counter: join(UInt8(ascii: "e"), [e, d.variant]),
                segmentCounter: { join(UInt8(ascii: "E"), [e, d.variant, $0]) })
            if d.bandit != nil { u.banditCounter = { banditCounter(d, segments: $0) ?? [] } }
            out.append(u)
        }
        return out
    }

    static func assignmentKey(user: UInt64, unit: [UInt8], outcome: [UInt8]) -> [UInt8] {
        var key = withUnsafeBytes(of: user.bigEndian) { Array($0) }
        withUnsafeBytes(of: UInt16(unit.count).bigEndian) { key.append(contentsOf: $0) }
        key.append(contentsOf: unit)
        key.append(contentsOf: outcome)
        return key
    }

    // MARK: - Assignments

    /// A user's exposure to one outcome of one unit.
    struct Assignment {
        var first: Double
        var last: Double
        var revision: UInt64
        var segments: SegmentSet
        var converted: Bool

        static let encodedLength = 57

        var encoded: [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(Self.encodedLength)
            let w = segments.words
            for v in [first.bitPattern, last.bitPattern, revision, w.0, w.1, w.2, w.3] {
                withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
            }
            out.append(converted ? 1 : 0)
            return out
        }

        init(first: Double, last: Double, revision: UInt64, segments: SegmentSet, converted: Bool) {
            self.first = first
            self.last = last
            self.revision = revision
            self.segments = segments
            self.converted = converted
        }

        init?(encoded raw: UnsafeRawBufferPointer) {
            guard raw.count == Self.encodedLength else { return nil }
            func u(_ i: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            first = Double(bitPattern: u(0))
            last = Double(bitPattern: u(1))
            revision = u(2)
            segments = SegmentSet(words: (u(3), u(4), u(5), u(6)))
            converted = raw[56] != 0
        }
    }

    // MARK: - Catalogs and meta

    static func catalogKey(_ revision: UInt64) -> [UInt8] { Array("catalog/".utf8) + revision.bigEndianKey }

    /// Stores `catalog` unless its revision's is already there.
    func save(_ catalog: OutcomeCatalog, txn: WriteTransaction) throws {
        let key = Self.catalogKey(catalog.revision)
        if try key.withUnsafeBytes({ try txn.get(meta, key: $0) }) != nil { return }
        try txn.put(meta, key: key, value: Array(try JSONEncoder().encode(catalog)))
    }

    /// The stored catalog of `revision`.
    func catalog(_ revision: UInt64, get: (Database, UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer?) throws
        -> OutcomeCatalog?
    {
        let key = Self.catalogKey(revision)
        guard let raw = try key.withUnsafeBytes({ try get(meta, $0) }) else { return nil }
        return try JSONDecoder().decode(OutcomeCatalog.self, from: Data(raw))
    }

    func metaInteger(_ name: String, txn: WriteTransaction) throws -> UInt64 {
        guard let raw = try txn.get(meta, key: name), raw.count == 8 else { return 0 }
        return UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self))
    }

    func setMetaInteger(_ name: String, _ value: UInt64, txn: WriteTransaction) throws {
        try txn.put(meta, key: Array(name.utf8), value: value.bigEndianKey)
    }

    /// The token secret: the stored one, or a new random one stored now.
    public func tokenSecret() throws -> [UInt8] {
        let txn = try WriteTransaction(store.environment)
        if let raw = try txn.get(meta, key: "token_secret"), raw.count == 32 {
            let secret = Array(raw)
            txn.abort()
            return secret
        }
        var rng = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try txn.put(meta, key: Array("token_secret".utf8), value: secret)
        try txn.commit()
        return secret
    }
}

extension UInt64 {
    /// 8 big-endian bytes (sorts in numeric order as an LMDB key).
    var bigEndianKey: [UInt8] { withUnsafeBytes(of: bigEndian) { Array($0) } }
}
