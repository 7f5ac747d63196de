public import Decision
import Foundation
import LMDB

/// The one writer of profile changes: a dedicated thread that drains a queue of submitted batches,
/// applies as many as are waiting in one LMDB write transaction, commits (fsynced unless the store was
/// opened with `durableCommits == false`), then completes every batch's callback. This is group commit:
/// under load one fsync covers many requests, and no event loop ever holds a write transaction.
///
/// Readers are never blocked: LMDB readers keep their snapshot while the writer commits.
public final class DeltaWriter: @unchecked Sendable {
    /// Settings of the writer; every property has a documented default.
    public struct Configuration: Sendable {
        /// Most deltas applied in one write transaction; the rest wait for the next. Default 20,000.
        public var maxDeltasPerCommit = 20_000
        /// Most deltas waiting for a commit. A submission that would go past it is refused at once with
        /// ``DeltaWriterError/full`` (the server answers 503 with Retry-After) instead of queueing without
        /// bound; one job is always accepted into an empty queue. Default 200,000.
        public var maxQueuedDeltas = 200_000
        /// How long a seen message id (`messageId` of CDP events) is remembered. Default 7 days.
        public var messageIDRetention: Double = 7 * 86_400
        /// The clock for deltas without `ts` and for message id expiry (epoch seconds). Default: wall clock.
        public var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }

        /// Defaults as documented on each property.
        public init() {}
    }

    /// A completion callback, called on the writer thread.
    public typealias Completion<T> = @Sendable (Result<T, any Error>) -> Void

    /// One queued piece of work and the callback that gets its result.
    enum Job {
        case deltas([ProfileDelta], Completion<[DeltaOutcome]>)
        case erase(user: String, seq: UInt64?, Completion<ErasureOutcome>)

        /// Deltas counted against ``Configuration/maxDeltasPerCommit``.
        var weight: Int {
            if case .deltas(let d, _) = self { return max(1, d.count) }
            return 1
        }
    }

    let store: DataStore
    let configuration: Configuration
    /// User id → tombstone (u64 seq, f64 erased at); the store's database.
    var tombstones: Database { store.tombstones }
    /// CDP message id → f64 time first seen.
    let messageIDs: Database
    /// The outcome store's per-user exposure assignments (erased with the user).
    let assignments: Database

    private let condition = NSCondition()
    private var queue: [Job] = []
    /// Sum of the queued jobs' weights.
    private var queuedWeight = 0
    private var stopping = false
    private var finished = false
    private var lastSweep = 0.0

    /// A writer for `store`; opens (creating) its databases. Call ``start()`` before submitting.
    public init(store: DataStore, configuration: Configuration = Configuration()) throws {
        self.store = store
        self.configuration = configuration
        self.messageIDs = try store.environment.openDatabase("message_ids")
        self.assignments = try store.environment.openDatabase("assignments")
    }

    /// Starts the writer thread.
    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "tessera-delta-writer"
        thread.start()
    }

    /// Finishes every queued job, then stops the thread; returns when it has stopped.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Queues `deltas` (already validated) for the next group commit; `completion` gets one outcome per delta,
    /// in order, once they are committed, or the error that kept the whole commit from happening.
    public func submit(_ deltas: [ProfileDelta], completion: @escaping Completion<[DeltaOutcome]>) {
        enqueue(.deltas(deltas, completion))
    }

    /// Queues the erasure of `user`: the profile is deleted and a tombstone keeps the highest seq seen
    /// (or `seq`, when larger) so replayed older deltas cannot bring the user back.
    public func erase(user: String, seq: UInt64? = nil, completion: @escaping Completion<ErasureOutcome>) {
        enqueue(.erase(user: user, seq: seq, completion))
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        var refusal: DeltaWriterError?
        if stopping {
            refusal = .stopped
        } else if !queue.isEmpty, queuedWeight + job.weight > configuration.maxQueuedDeltas {
            refusal = .full
        } else {
            queue.append(job)
            queuedWeight += job.weight
            condition.signal()
        }
        condition.unlock()
        if let refusal {
            switch job {
            case .deltas(_, let c): c(.failure(refusal))
            case .erase(_, _, let c): c(.failure(refusal))
            }
        }
    }

    /// Deltas waiting for a commit now (for metrics and tests).
    public var queuedDeltas: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedWeight
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            var taken = 0
            var count = 0
            for job in queue {
                if count > 0 && count + job.weight > configuration.maxDeltasPerCommit { break }
                count += job.weight
                taken += 1
            }
            let jobs = Array(queue.prefix(taken))
            queue.removeFirst(taken)
            queuedWeight -= count
            condition.unlock()
            commit(jobs)
        }
    }

    /// What one job produced inside a commit, with the callback it goes to once the commit succeeds.
    enum JobResult {
        case deltas([DeltaOutcome], Completion<[DeltaOutcome]>)
        case erase(ErasureOutcome, Completion<ErasureOutcome>)

        /// Calls the job's callback with its result.
        func deliver() {
            switch self {
            case .deltas(let outcomes, let c): c(.success(outcomes))
            case .erase(let outcome, let c): c(.success(outcome))
            }
        }
    }

    /// Applies `jobs` in one write transaction and completes them.
    func commit(_ jobs: [Job]) {
        let now = configuration.clock()
        var results: [JobResult] = []
        results.reserveCapacity(jobs.count)
        do {
            let txn = try WriteTransaction(store.environment)
            for job in jobs {
                switch job {
                case .deltas(let deltas, let c):
                    var outcomes: [DeltaOutcome] = []
                    outcomes.reserveCapacity(deltas.count)
                    for d in deltas { outcomes.append(try apply(d, txn: txn, now: now)) }
                    results.append(.deltas(outcomes, c))
                case .erase(let user, let seq, let c):
                    results.append(.erase(try erase(user, seq: seq, txn: txn, now: now), c))
                }
            }
            if now - lastSweep > 600 {
                lastSweep = now
                try sweepMessageIDs(txn: txn, now: now)
            }
            try txn.commit()
        } catch {
            for job in jobs {
                switch job {
                case .deltas(_, let c): c(.failure(error))
                case .erase(_, _, let c): c(.failure(error))
                }
            }
            return
        }
        for result in results { result.deliver() }
    }

    func tombstoneSeq(_ key: [UInt8], txn: WriteTransaction) throws -> UInt64? {
        guard let raw = try key.withUnsafeBytes({ try txn.get(tombstones, key: $0) }), raw.count >= 8 else {
            return nil
        }
        return raw.loadUnaligned(as: UInt64.self).littleEndian
    }

    func apply(_ delta: ProfileDelta, txn: WriteTransaction, now: Double) throws -> DeltaOutcome {
        let key = Array(delta.user.utf8)
        var profile: ProfileData
        if let raw = try key.withUnsafeBytes({ try txn.get(store.profiles, key: $0) }), let view = ProfileView(raw) {
            profile = ProfileData(view)
        } else {
            profile = ProfileData(version: 0, consent: nil, segmentIDs: [], attributes: [])
        }
        let tombstone = try tombstoneSeq(key, txn: txn)
        let stored = max(profile.seq, tombstone ?? 0)
        if let seq = delta.seq, seq <= stored { return .duplicate(storedSeq: stored) }
        var messageKey: [UInt8] = []
        if let id = delta.dedupeKey {
            messageKey = Array(id.utf8)
            if try messageKey.withUnsafeBytes({ try txn.get(messageIDs, key: $0) }) != nil {
                return .duplicate(storedSeq: stored)
            }
        }
        if tombstone != nil, delta.seq == nil {
            // A source without seq cannot tell an erased user's replay from new activity: keep them erased.
            return .rejected(
                ProfileInput.Rejection(
                    field: "user", message: "user was erased; only deltas with a newer seq recreate them"))
        }
        do {
            try profile.apply(delta, at: now)
        } catch {
            return .rejected(error)
        }
        profile.seq = max(profile.seq, stored)
        if let seq = delta.seq { profile.seq = max(profile.seq, seq) }
        profile.version &+= 1  // a stored version is not trusted to be below UInt64.max
        try txn.put(store.profiles, key: key, value: profile.encode())
        if tombstone != nil { try txn.delete(tombstones, key: key) }
        if !messageKey.isEmpty {
            try txn.put(
                messageIDs, key: messageKey, value: withUnsafeBytes(of: now.bitPattern.littleEndian) { Array($0) })
        }
        let gap = delta.seq.map { stored > 0 && $0 - stored > 1 } ?? false  // $0 > stored here
        return .applied(previousSeq: stored, gap: gap)
    }

    func erase(_ user: String, seq: UInt64?, txn: WriteTransaction, now: Double) throws -> ErasureOutcome {
        let key = Array(user.utf8)
        var last: UInt64 = seq ?? 0
        var existed = false
        if let raw = try key.withUnsafeBytes({ try txn.get(store.profiles, key: $0) }) {
            existed = true
            if let view = ProfileView(raw) { last = max(last, view.seq) }
        }
        if let t = try tombstoneSeq(key, txn: txn) { last = max(last, t) }
        if existed { try txn.delete(store.profiles, key: key) }
        // What outcome measuring keeps about the user goes too: sticky variants and exposure assignments (the
        // raw decision log is bounded and ages out).
        try deletePrefix(key + [0], in: store.sticky, txn: txn)
        try deletePrefix(withUnsafeBytes(of: DataStore.userKey(key).bigEndian) { Array($0) }, in: assignments, txn: txn)
        var value: [UInt8] = []
        withUnsafeBytes(of: last.littleEndian) { value.append(contentsOf: $0) }
        withUnsafeBytes(of: now.bitPattern.littleEndian) { value.append(contentsOf: $0) }
        try txn.put(tombstones, key: key, value: value)
        return ErasureOutcome(existed: existed, tombstoneSeq: last)
    }

    func deletePrefix(_ prefix: [UInt8], in db: Database, txn: WriteTransaction) throws {
        var keys: [[UInt8]] = []
        try txn.forEach(db, prefix: prefix) { k, _ in
            keys.append(Array(k))
            return true
        }
        for k in keys { try txn.delete(db, key: k) }
    }

    /// Forgets message ids older than the retention (bounded work per sweep).
    func sweepMessageIDs(txn: WriteTransaction, now: Double) throws {
        var expired: [[UInt8]] = []
        try txn.forEach(messageIDs) { key, value in
            if value.count >= 8,
                Double(bitPattern: value.loadUnaligned(as: UInt64.self).littleEndian)
                    < now - configuration.messageIDRetention
            {
                expired.append(Array(key))
            }
            return expired.count < 100_000
        }
        for key in expired { try txn.delete(messageIDs, key: key) }
    }
}

/// Why the writer could not take a job.
public enum DeltaWriterError: Error, CustomStringConvertible {
    /// The writer is shutting down.
    case stopped
    /// ``DeltaWriter/Configuration/maxQueuedDeltas`` deltas are already waiting.
    case full

    public var description: String {
        switch self {
        case .stopped: return "the delta writer is shutting down"
        case .full: return "the delta writer's queue is full"
        }
    }
}
