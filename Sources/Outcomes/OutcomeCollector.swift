public import Decision
import Foundation
import LMDB
import Store
import Synchronization

/// The one consumer of every loop's ``ExposureRing`` and the one writer of outcomes: a thread that, every
/// ``Configuration/interval`` (or at once when a click or conversion waits), drains the rings, counts what it
/// drained and the waiting feedback in one LMDB write transaction, commits, then answers the feedback.
///
/// So an exposure is on disk at most one interval after it was shown (a crash loses at most that much),
/// and a click or conversion is answered only once committed (an acknowledged one is never lost). The
/// rings are drained before the feedback is counted, so a click right after its exposure finds it.
public final class OutcomeCollector: @unchecked Sendable {
    /// Settings.
    public struct Configuration: Sendable {
        /// How often the rings are drained. Default 200 ms.
        public var interval: Double = 0.2
        /// Records per loop ring. Default 32,768 (10 MiB per loop).
        public var ringCapacity = 32_768
        /// The clock (epoch seconds) used for pruning. Default: wall clock.
        public var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        /// Defaults as documented.
        public init() {}
    }

    /// The answer to one feedback submission.
    public typealias Completion = @Sendable (Result<FeedbackOutcome, any Error>) -> Void

    public let store: OutcomeStore
    let configuration: Configuration
    private let condition = NSCondition()
    private var rings: [ExposureRing] = []
    private var feedback: [(Feedback, Completion)] = []
    private var catalogs: [UInt64: OutcomeCatalog] = [:]
    private var pendingCatalogs: [OutcomeCatalog] = []
    private var stopping = false
    private var finished = false
    private var lastPrune = 0.0
    private let countedTotal = Atomic<Int>(0)
    private let committedBatches = Atomic<Int>(0)

    /// A collector writing to `store`. Call ``start()`` before use.
    public init(store: OutcomeStore, configuration: Configuration = Configuration()) {
        self.store = store
        self.configuration = configuration
    }

    /// A new ring for one event loop, drained by this collector from now on.
    public func makeRing() -> ExposureRing {
        let ring = ExposureRing(capacity: configuration.ringCapacity)
        condition.lock()
        rings.append(ring)
        condition.unlock()
        return ring
    }

    /// Makes `engine`'s names known (stored with the next commit), so its exposures can be counted.
    public func register(_ engine: DecisionEngine) {
        let catalog = OutcomeCatalog(engine)
        condition.lock()
        if catalogs[catalog.revision] == nil {
            catalogs[catalog.revision] = catalog
            pendingCatalogs.append(catalog)
        }
        condition.unlock()
    }

    /// Exposures dropped because a ring was full, over all rings.
    public var dropped: Int {
        condition.lock()
        defer { condition.unlock() }
        return rings.reduce(0) { $0 + $1.dropped }
    }

    /// Exposures counted so far by this process.
    public var counted: Int { countedTotal.load(ordering: .relaxed) }

    /// Queues a click or conversion; `completion` runs on the collector thread after the commit.
    public func submit(_ item: Feedback, completion: @escaping Completion) {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            completion(.failure(OutcomeCollectorError.stopped))
            return
        }
        feedback.append((item, completion))
        condition.signal()
        condition.unlock()
    }

    /// Commits whatever the rings hold now and returns once it is on disk (tests, shutdown).
    public func flush() throws {
        final class Box: @unchecked Sendable {
            let done = NSCondition()
            var result: Result<Void, any Error>?
        }
        let box = Box()
        submit(.flushMarker) { r in
            box.done.lock()
            box.result = r.map { _ in () }
            box.done.signal()
            box.done.unlock()
        }
        box.done.lock()
        while box.result == nil { box.done.wait() }
        let result = box.result!
        box.done.unlock()
        try result.get()
    }

    /// Starts the thread.
    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "tessera-outcomes"
        thread.start()
    }

    /// Commits what is left, answers every waiting submission, and stops the thread.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            if feedback.isEmpty && !stopping {
                _ = condition.wait(until: Date(timeIntervalSinceNow: configuration.interval))
            }
            let jobs = feedback
            feedback.removeAll(keepingCapacity: true)
            let ringsNow = rings
            let newCatalogs = pendingCatalogs
            pendingCatalogs.removeAll()
            let stop = stopping
            condition.unlock()

            var exposures: [Exposure] = []
            for ring in ringsNow { ring.drain { exposures.append($0) } }
            commit(exposures: exposures, jobs: jobs, catalogs: newCatalogs)
            if stop {
                condition.lock()
                let late = feedback
                feedback.removeAll()
                condition.unlock()
                if !late.isEmpty { commit(exposures: [], jobs: late, catalogs: []) }
                condition.lock()
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    private func commit(exposures: [Exposure], jobs: [(Feedback, Completion)], catalogs newCatalogs: [OutcomeCatalog]) {
        guard !exposures.isEmpty || !jobs.isEmpty || !newCatalogs.isEmpty else { return }
        var results: [Result<FeedbackOutcome, any Error>] = []
        do {
            let txn = try WriteTransaction(store.store.environment)
            for c in newCatalogs { try store.save(c, txn: txn) }
            var deltas = CounterDeltas()
            let lookup: (UInt64) throws -> OutcomeCatalog? = { [self] revision in
                if let c = catalogLookup(revision) { return c }
                let c = try store.catalog(revision, get: { try txn.get($0, key: $1) })
                if let c { cache(c) }
                return c
            }
            let n = try store.apply(exposures: exposures, catalog: lookup, deltas: &deltas, txn: txn)
            for (item, _) in jobs {
                if case .flushMarker = item {
                    results.append(.success(.counted(attributed: 0)))
                    continue
                }
                results.append(.success(try store.apply(item, catalog: lookup, deltas: &deltas, txn: txn)))
            }
            try deltas.write(to: store, txn: txn)
            let now = configuration.clock()
            if now - lastPrune > 3600 {
                try store.pruneSeen(now: now, txn: txn)
                lastPrune = now
            }
            try txn.commit()
            countedTotal.add(n, ordering: .relaxed)
            committedBatches.add(1, ordering: .relaxed)
        } catch {
            results = jobs.map { _ in .failure(error) }
        }
        for (i, job) in jobs.enumerated() { job.1(results[i]) }
    }

    private func catalogLookup(_ revision: UInt64) -> OutcomeCatalog? {
        condition.lock()
        defer { condition.unlock() }
        return catalogs[revision]
    }

    private func cache(_ c: OutcomeCatalog) {
        condition.lock()
        catalogs[c.revision] = c
        condition.unlock()
    }
}

/// Why the collector refused a submission.
public enum OutcomeCollectorError: Error, CustomStringConvertible {
    /// The server is shutting down.
    case stopped

    public var description: String { "the outcome collector has stopped" }
}
