public import Decision
import CAffinity
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
        /// The clock (epoch seconds) used for pruning and bandit timing. Default: wall clock.
        public var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        /// How often bandit experiments' weights are re-computed, in seconds. Default 60.
        public var banditInterval: Double = 60
        /// The CPU the collector thread runs on (`nil`: wherever the scheduler puts it). Keeps its LMDB work off
        /// the cores that serve decisions.
        public var cpu: Int? = nil
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
    /// Counter keys by number, and each revision's compiled keys (collector thread only).
    private let counterKeys = CounterKeyTable()
    private var compiledCatalogs: [UInt64: CompiledCatalog] = [:]
    private var banditEntries: [String: BanditWeights.Entry] = [:]
    private var feedbackCounts: [FeedbackMetricKey: (clicks: UInt64, conversions: UInt64)] = [:]
    private var lastBandit = -Double.infinity
    private var published = BanditWeights(entries: [:])
    /// Called on the collector thread with every new set of bandit weights (the server hands them to its loops).
    public var onBanditWeights: (@Sendable (BanditWeights) -> Void)?
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

    /// Clicks and conversions committed by this process, by (slot, rule, variant); the rule is "" for a default.
    public var feedbackTotals: [FeedbackMetricKey: (clicks: UInt64, conversions: UInt64)] {
        condition.lock()
        defer { condition.unlock() }
        return feedbackCounts
    }

    private func noteFeedback(_ deltas: CounterDeltas) {
        var add: [FeedbackMetricKey: (UInt64, UInt64)] = [:]
        for (number, d) in deltas.deltas where d.clicks > 0 || d.conversions > 0 {
            let key = deltas.table.keys[number]
            guard key.first == UInt8(ascii: "s") else { continue }
            let parts = key.dropFirst(2).split(separator: 0, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            guard parts.count == 3 else { continue }
            add[FeedbackMetricKey(slot: parts[0], rule: parts[1], variant: parts[2])] = (d.clicks, d.conversions)
        }
        guard !add.isEmpty else { return }
        condition.lock()
        for (k, v) in add {
            let old = feedbackCounts[k] ?? (0, 0)
            feedbackCounts[k] = (old.clicks &+ v.0, old.conversions &+ v.1)
        }
        condition.unlock()
    }

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
    public func flush() throws { _ = try submitAndWait(.flushMarker) }

    /// Commits what the rings hold, re-computes every bandit's weights from the counts, and returns once the
    /// new weights are stored and published (tests, admin use).
    public func recomputeBandits() throws { _ = try submitAndWait(.banditMarker) }

    /// Submits `item` and waits for its answer (off the event loops only: it blocks).
    public func submitAndWait(_ item: Feedback) throws -> FeedbackOutcome {
        final class Box: @unchecked Sendable {
            let done = NSCondition()
            var result: Result<FeedbackOutcome, any Error>?
        }
        let box = Box()
        submit(item) { r in
            box.done.lock()
            box.result = r
            box.done.signal()
            box.done.unlock()
        }
        box.done.lock()
        while box.result == nil { box.done.wait() }
        let result = box.result!
        box.done.unlock()
        return try result.get()
    }

    /// The bandit weights in force (the stored ones at start, then each re-computation's).
    public var banditWeights: BanditWeights {
        condition.lock()
        defer { condition.unlock() }
        return published
    }

    /// Starts the thread.
    public func start() {
        do {
            let txn = try ReadTransaction(store.store.environment)
            banditEntries = try store.storedBanditWeights(txn: txn)
            txn.reset()
        } catch {
            banditEntries = [:]
        }
        published = BanditWeights(entries: banditEntries)
        let cpu = configuration.cpu
        let thread = Thread { [self] in
            if let cpu { Self.pin(toCPU: cpu) }
            self.loop()
        }
        thread.name = "tessera-outcomes"
        thread.start()
    }

    /// Binds the calling thread to `cpu` (Linux `sched_setaffinity` on thread 0 = this thread); a CPU out of
    /// range or refused leaves the thread where it is.
    static func pin(toCPU cpu: Int) {
        guard let c = Int32(exactly: cpu) else { return }
        _ = tessera_pin_thread_to_cpu(c)
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
            let markers = jobs.filter { if case .banditMarker = $0.0 { return true } else { return false } }
            commit(exposures: exposures, jobs: jobs.filter { if case .banditMarker = $0.0 { return false } else { return true } }, catalogs: newCatalogs)
            let now = configuration.clock()
            if now - lastBandit >= configuration.banditInterval || !markers.isEmpty {
                lastBandit = now
                updateBandits(now: now)
            }
            for (_, done) in markers { done(.success(.counted(attributed: 0))) }
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
            var deltas = CounterDeltas(table: counterKeys)
            let lookup: (UInt64) throws -> OutcomeCatalog? = { [self] revision in
                if let c = catalogLookup(revision) { return c }
                let c = try store.catalog(revision, get: { try txn.get($0, key: $1) })
                if let c { cache(c) }
                return c
            }
            var lastCompiled: CompiledCatalog? = nil
            let compiledLookup: (UInt64) throws -> CompiledCatalog? = { [self] revision in
                if let c = lastCompiled, c.catalog.revision == revision { return c }
                if let c = compiledCatalogs[revision] {
                    lastCompiled = c
                    return c
                }
                guard let plain = try lookup(revision) else { return nil }
                let c = CompiledCatalog(plain, table: counterKeys)
                if compiledCatalogs.count >= 64 { compiledCatalogs.removeAll() }
                compiledCatalogs[revision] = c
                lastCompiled = c
                return c
            }
            let n = try store.apply(exposures: exposures, catalog: compiledLookup, deltas: &deltas, txn: txn)
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
            noteFeedback(deltas)
            countedTotal.add(n, ordering: .relaxed)
            committedBatches.add(1, ordering: .relaxed)
        } catch {
            results = jobs.map { _ in .failure(error) }
        }
        for (i, job) in jobs.enumerated() { job.1(results[i]) }
    }

    /// Re-computes every bandit experiment of the newest registered revision and publishes what changed.
    private func updateBandits(now: Double) {
        condition.lock()
        let newest = catalogs.keys.max().flatMap { catalogs[$0] }
        condition.unlock()
        guard let newest else { return }
        let experiments = BanditExperiment.all(in: newest)
        guard !experiments.isEmpty else { return }
        var changed = false
        do {
            let txn = try WriteTransaction(store.store.environment)
            var next = banditEntries
            for e in experiments {
                if let entry = try store.recomputeBandit(e, previous: banditEntries[e.key], now: now, txn: txn) {
                    next[e.key] = entry
                    changed = true
                }
            }
            guard changed else {
                txn.abort()
                return
            }
            try txn.commit()
            banditEntries = next
        } catch {
            return
        }
        let weights = BanditWeights(entries: banditEntries)
        condition.lock()
        published = weights
        let callback = onBanditWeights
        condition.unlock()
        callback?(weights)
    }

    /// The weight history of bandit experiment `key`, oldest first.
    public func banditHistory(_ key: String) throws -> [BanditWeights.Entry] {
        let txn = try ReadTransaction(store.store.environment)
        defer { txn.reset() }
        return try store.banditHistory(key, txn: txn)
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

/// The labels of the click and conversion counters on /metrics.
public struct FeedbackMetricKey: Hashable, Sendable {
    public var slot: String
    public var rule: String
    public var variant: String
}
