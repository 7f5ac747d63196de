public import Decision
import Dispatch
import JSON
import LMDB

/// Imports an NDJSON snapshot of profiles (``ProfileSnapshot`` per line) in bounded write transactions,
/// merging each line with the stored profile or replacing its parts (``ProfileSnapshot/Mode``).
///
/// - **Streaming**: at most ``batchSize`` parsed lines are held at once; nothing is kept per line beyond
///   that except counters and the first ``maxReportedRejections`` rejection messages. Mapped pages of the
///   data file are released every 256 lines, so the resident set does not grow with the file either.
/// - **Deltas stay ordered**: the stored `seq` is never changed by an import, so a delta replayed after an
///   import is still a duplicate. Behaviour and membership score and expiry are kept (see the mode).
/// - **Erasure holds**: a line for a user with an erasure tombstone is rejected: the snapshot may predate
///   the erasure. A delta with a newer seq is what recreates an erased user.
/// - **Idempotent**: a line that would store the same bytes leaves the record untouched (its version is
///   not bumped), so rerunning the same file changes nothing. A changed record gets the next version.
/// - A bad line is reported with its number and field, and skipped; the rest are imported.
public struct ProfileImporter: Sendable {
    /// What one import did.
    public struct Summary: Sendable, Equatable {
        /// Lines read (blank ones included).
        public var lines = 0
        /// Lines that stored a profile for a new user.
        public var created = 0
        /// Lines that changed a stored profile.
        public var updated = 0
        /// Lines accepted that left the stored profile exactly as it was.
        public var unchanged = 0
        /// Lines rejected.
        public var rejectedCount = 0
        /// The first rejections, at most ``ProfileImporter/maxReportedRejections``, as `line N: field: message`.
        public var rejected: [String] = []

        /// Lines accepted: created, updated or unchanged.
        public var imported: Int { created + updated + unchanged }

        /// Nothing imported yet.
        public init() {}

        /// Counts a rejected line, keeping its message while fewer than `cap` are kept.
        mutating func reject(_ message: String, cap: Int) {
            rejectedCount += 1
            if rejected.count < cap { rejected.append(message) }
        }

        /// Adds what a later batch did (its lines are counted by the reader, not here).
        mutating func add(_ other: Summary, cap: Int) {
            created += other.created
            updated += other.updated
            unchanged += other.unchanged
            rejectedCount += other.rejectedCount
            rejected.append(contentsOf: other.rejected.prefix(max(0, cap - rejected.count)))
        }
    }

    /// A line waiting for the next write transaction.
    enum Pending: Sendable {
        case snapshot(line: Int, ProfileSnapshot)
        case rejected(String)
    }

    let store: DataStore
    let bundle: CompiledBundle
    /// How each line combines with the stored profile. Default ``ProfileSnapshot/Mode/merge``.
    public var mode = ProfileSnapshot.Mode.merge
    /// Lines per write transaction. Default 10,000.
    public var batchSize = 10_000
    /// Rejection messages kept in ``Summary/rejected``; further ones are only counted. Default 100.
    public var maxReportedRejections = 100

    /// An importer validating against `bundle`.
    public init(store: DataStore, bundle: CompiledBundle) {
        self.store = store
        self.bundle = bundle
    }

    /// Imports every line `nextLine` yields (nil ends). `progress` is called after each committed batch.
    ///
    /// Two stages run at once: the calling thread reads and parses batch N+1 while a writer thread merges,
    /// encodes and commits batch N (one batch in flight, so memory stays bounded by two batches). The writer
    /// applies batches in order, so the result is the same as applying every line in sequence.
    public func run(lines nextLine: () throws -> [UInt8]?, progress: (Summary) -> Void = { _ in }) throws -> Summary {
        var summary = Summary()
        var batch: [Pending] = []
        let capacity = min(batchSize, 100_000)
        batch.reserveCapacity(capacity)
        let writer = DispatchQueue(label: "tessera.import.writer")
        var inFlight: BatchWrite?
        // Whatever ends the loop (a thrown read error included), the batch in flight finishes first.
        defer { inFlight?.done.wait() }
        func join() throws {
            guard let write = inFlight else { return }
            write.done.wait()
            inFlight = nil
            summary.add(write.summary, cap: maxReportedRejections)
            if let error = write.error { throw error }
            progress(summary)
        }
        func flush() throws {
            guard !batch.isEmpty else { return }
            try join()
            let write = BatchWrite(batch: batch)
            batch = []
            batch.reserveCapacity(capacity)
            inFlight = write
            let importer = self
            writer.async {
                do { try importer.apply(write) } catch { write.error = error }
                write.done.signal()
            }
        }
        while let line = try nextLine() {
            summary.lines += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                let json = try line.withUnsafeBytes { try JSONValue.parse($0) }
                batch.append(.snapshot(line: summary.lines, try ProfileSnapshot.parse(json, bundle: bundle)))
            } catch let e as JSONParseError {
                batch.append(.rejected("line \(summary.lines):\(e.column): invalid JSON: \(e.message)"))
            } catch let e as ProfileInput.Rejection {
                batch.append(.rejected("line \(summary.lines): \(e.field): \(e.message)"))
            }
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        try join()
        return summary
    }

    /// One batch handed to the writer thread, and what writing it did. Written only by the writer until it
    /// signals `done`; read by the importing thread only after waiting on it.
    final class BatchWrite: @unchecked Sendable {
        let batch: [Pending]
        var summary = Summary()
        var error: (any Error)?
        let done = DispatchSemaphore(value: 0)
        init(batch: [Pending]) { self.batch = batch }
    }

    /// Writes one batch in one transaction (on the writer thread), counting into `write.summary`.
    func apply(_ write: BatchWrite) throws {
        // A transaction dropped by a thrown error is aborted.
        let txn = try WriteTransaction(store.environment)
        for (i, pending) in write.batch.enumerated() {
            // Scattered reads map neighbouring pages too; letting go of them every few hundred lines keeps
            // the resident set bounded by the batch instead of growing towards the size of the data file.
            if i % 256 == 255 { store.environment.releaseMappedPages() }
            switch pending {
            case .rejected(let message): write.summary.reject(message, cap: maxReportedRejections)
            case .snapshot(let line, let snapshot):
                if let message = try store(snapshot, txn: txn, summary: &write.summary) {
                    write.summary.reject("line \(line): \(message)", cap: maxReportedRejections)
                }
            }
        }
        try txn.commit()
        store.environment.releaseMappedPages()
    }

    /// Stores one line inside `txn`, counting it in `summary`; returns a rejection message (`field: message`)
    /// instead when the line cannot be stored.
    func store(_ snapshot: ProfileSnapshot, txn: WriteTransaction, summary: inout Summary) throws -> String? {
        let key = Array(snapshot.id.utf8)
        if let raw = try key.withUnsafeBytes({ try txn.get(store.tombstones, key: $0) }), raw.count >= 8 {
            let seq = raw.loadUnaligned(as: UInt64.self).littleEndian
            return
                "id: user '\(snapshot.id)' was erased (tombstone at seq \(seq)); the snapshot may predate the erasure, so import does not recreate them (a delta with a newer seq does)"
        }
        let old = try key.withUnsafeBytes { try txn.get(store.profiles, key: $0) }
        let stored = old.flatMap { ProfileView($0) }.map { ProfileData($0) }
        var profile: ProfileData
        do {
            profile = try snapshot.profile(over: stored, mode: mode)
        } catch {
            return "\(error.field): \(error.message)"
        }
        if let stored, let old {
            // Encoded with the stored version: identical bytes mean nothing changed, and nothing is written.
            profile.version = stored.version
            var bytes = profile.encode()
            if bytes.elementsEqual(old) {
                summary.unchanged += 1
                return nil
            }
            withUnsafeBytes(of: (stored.version + 1).littleEndian) { bytes.replaceSubrange(4..<12, with: $0) }
            try txn.put(store.profiles, key: key, value: bytes)
            summary.updated += 1
        } else {
            profile.version = 1
            try txn.put(store.profiles, key: key, value: profile.encode())
            summary.created += 1
        }
        return nil
    }
}
