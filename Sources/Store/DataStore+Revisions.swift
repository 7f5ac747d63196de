public import Decision
import Foundation
import LMDB

/// What a publish sees of the live content when it starts: read inside the publishing write transaction, so
/// no other publish can slip in between reading it and writing the next revision.
///
/// The bundle and sources are read (and decoded) only when asked for, so a publisher that keeps the live
/// revision in memory skips that work.
public struct LiveContent {
    /// The current revision.
    public let revision: UInt64
    let store: DataStore
    let txn: WriteTransaction

    /// The current revision's compiled bundle.
    public func bundle() throws -> CompiledBundle {
        guard let bytes = try revision.bigEndianBytes.withUnsafeBytes({ try txn.get(store.bundles, key: $0) }) else {
            throw StoreError.missingRevision(revision)
        }
        return try JSONDecoder().decode(CompiledBundle.self, from: Data(bytes))
    }

    /// Its sources as the publisher stored them (opaque to the store), or `nil` for revisions without sources.
    public func sources() throws -> [UInt8]? {
        try revision.bigEndianBytes.withUnsafeBytes { try txn.get(store.sources, key: $0) }.map { Array($0) }
    }
}

/// The outcome a publisher decides on, inside the write transaction.
public enum PublishDecision {
    /// Write `bundle` (with its `sources` and `record`) as the next revision. `record` is called with the new
    /// revision number and returns the JSON of the revision history entry.
    case publish(bundle: CompiledBundle, sources: [UInt8], record: (UInt64) -> [UInt8])
    /// Publish nothing.
    case reject
}

/// A stored response for an idempotency key (a CMS delivery id).
///
/// Stored as `0xFF`, f64 little-endian time first seen, u16 big-endian status, body. Entries written before
/// the time was kept are u16 status, body (a status never starts with `0xFF`); they carry no time.
public struct StoredDelivery: Sendable, Equatable {
    /// HTTP status of the original answer.
    public var status: Int
    /// Body of the original answer.
    public var body: [UInt8]
    /// When the delivery was first seen (epoch seconds); NaN for entries from before times were kept.
    public var seenAt: Double

    /// A stored answer.
    public init(status: Int, body: [UInt8], seenAt: Double = .nan) {
        self.status = status
        self.body = body
        self.seenAt = seenAt
    }

    public static func == (a: StoredDelivery, b: StoredDelivery) -> Bool { a.status == b.status && a.body == b.body }

    var encoded: [UInt8] {
        var out: [UInt8] = [0xFF]
        withUnsafeBytes(of: seenAt.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        out.appendBigEndian(UInt16(clamping: status))
        out.append(contentsOf: body)
        return out
    }

    init?(_ raw: UnsafeRawBufferPointer) {
        if raw.count >= 11, raw[0] == 0xFF {
            seenAt = Double(bitPattern: raw.loadUnaligned(fromByteOffset: 1, as: UInt64.self).littleEndian)
            status = Int(raw[9]) << 8 | Int(raw[10])
            body = Array(raw[11...])
            return
        }
        guard raw.count >= 2 else { return nil }
        seenAt = .nan
        status = Int(raw[0]) << 8 | Int(raw[1])
        body = Array(raw[2...])
    }
}

extension DataStore {
    /// Publishes in one write transaction: `decide` sees the live content (nil before the first revision) and
    /// returns what to do. When `deliveryID` is given, a delivery seen before returns its stored answer without
    /// calling `decide`, and the answer `respond` builds is stored with the publish (or the rejection) atomically.
    ///
    /// - Returns: the new revision (nil when rejected or replayed) and the answer for the caller.
    /// Delivery ids older than `deliveryRetention` seconds at `now` (default: the wall clock) are forgotten
    /// (see ``sweepDeliveries(txn:now:retention:)``).
    public func publish(
        deliveryID: String?,
        now: Double? = nil,
        deliveryRetention: Double = DataStore.deliveryRetention,
        decide: (LiveContent?) throws -> PublishDecision,
        respond: (UInt64?) -> StoredDelivery
    ) throws -> (revision: UInt64?, answer: StoredDelivery, replayed: Bool) {
        let now = now ?? Date().timeIntervalSince1970
        let txn = try WriteTransaction(environment)
        let deliveryKey = deliveryID.map { Array($0.utf8) }
        if let deliveryKey, let raw = try deliveryKey.withUnsafeBytes({ try txn.get(deliveries, key: $0) }),
            let stored = StoredDelivery(raw)
        {
            txn.abort()
            return (nil, stored, true)
        }
        var live: LiveContent?
        if let raw = try txn.get(meta, key: "revision") {
            live = LiveContent(revision: UInt64(bigEndianBytes: raw), store: self, txn: txn)
        }
        var published: UInt64?
        switch try decide(live) {
        case .reject:
            break
        case .publish(let bundle, let sourceBytes, let record):
            let next = (live?.revision ?? 0) + 1
            try txn.put(bundles, key: next.bigEndianBytes, value: [UInt8](try JSONEncoder().encode(bundle)))
            try txn.put(sources, key: next.bigEndianBytes, value: sourceBytes)
            try txn.put(revisions, key: next.bigEndianBytes, value: record(next))
            try txn.put(meta, key: Self.revisionKey, value: next.bigEndianBytes)
            if next > retainedRevisions {
                let old = (next - retainedRevisions).bigEndianBytes
                try txn.delete(bundles, key: old)
                try txn.delete(sources, key: old)
            }
            published = next
        }
        var answer = respond(published)
        answer.seenAt = now
        if let deliveryKey {
            try txn.put(deliveries, key: deliveryKey, value: answer.encoded)
            try sweepDeliveries(txn: txn, now: now, retention: deliveryRetention)
        }
        if published == nil && deliveryKey == nil {
            txn.abort()
        } else {
            try txn.commit()
        }
        return (published, answer, false)
    }

    /// The stored sources of `revision` (nil when that revision has none).
    public func sources(of revision: UInt64) throws -> [UInt8]? {
        let txn = try ReadTransaction(environment)
        defer { txn.reset() }
        return try revision.bigEndianBytes.withUnsafeBytes { try txn.get(sources, key: $0) }.map { Array($0) }
    }

    /// Revision history entries (the JSON each publish recorded), newest first, at most `limit`.
    public func revisionHistory(limit: Int = 100) throws -> [(revision: UInt64, record: [UInt8])] {
        let txn = try ReadTransaction(environment)
        defer { txn.reset() }
        var all: [(UInt64, [UInt8])] = []
        try txn.forEach(revisions) { k, v in
            all.append((UInt64(bigEndianBytes: k), Array(v)))
            return true
        }
        return Array(all.reversed().prefix(limit))
    }

    /// A stored answer for `deliveryID`, if that delivery was seen.
    public func delivery(_ deliveryID: String) throws -> StoredDelivery? {
        let txn = try ReadTransaction(environment)
        defer { txn.reset() }
        return try txn.get(deliveries, key: deliveryID).flatMap { StoredDelivery($0) }
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ v: UInt16) {
        append(UInt8(v >> 8))
        append(UInt8(v & 0xFF))
    }
}

extension DataStore {
    /// How long a CMS delivery id is remembered, its answer replayed on redelivery. Default 7 days.
    public static let deliveryRetention: Double = 7 * 86_400
    /// Least time between two sweeps of the delivery ids.
    static let deliverySweepInterval: Double = 600
    static let deliverySweepKey = "deliveries_swept_at"

    /// Forgets delivery ids first seen more than `retention` seconds before `now`, at most once per
    /// ``deliverySweepInterval`` and at most 10,000 per sweep (the rest go in later sweeps), so the table
    /// stays bounded by the deliveries of one retention period. Entries from before times were kept get
    /// `now` as their time, so they too are forgotten one retention period later.
    func sweepDeliveries(txn: WriteTransaction, now: Double, retention: Double) throws {
        if let raw = try txn.get(meta, key: Self.deliverySweepKey), raw.count == 8 {
            let last = Double(bitPattern: raw.loadUnaligned(as: UInt64.self).littleEndian)
            if now - last < Self.deliverySweepInterval, now >= last { return }
        }
        try txn.put(
            meta, key: Array(Self.deliverySweepKey.utf8),
            value: withUnsafeBytes(of: now.bitPattern.littleEndian) { Array($0) })
        var expired: [[UInt8]] = []
        var stamped: [([UInt8], [UInt8])] = []
        try txn.forEach(deliveries) { key, value in
            guard var entry = StoredDelivery(value) else { return true }
            if entry.seenAt.isNaN {
                entry.seenAt = now
                stamped.append((Array(key), entry.encoded))
            } else if entry.seenAt < now - retention {
                expired.append(Array(key))
            }
            return expired.count + stamped.count < 10_000
        }
        for key in expired { try txn.delete(deliveries, key: key) }
        for (key, value) in stamped { try txn.put(deliveries, key: key, value: value) }
    }
}
