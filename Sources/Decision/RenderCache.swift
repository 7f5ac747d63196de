/// Rendered blocks of one event loop, keyed by exactly what a render reads: the revision, the outcome
/// (slot, rule, variant: template and rule data) and the values of the tokens its template uses. Users who
/// share those values share one render.
///
/// Keys are compared byte for byte (never by hash alone), so one user's tokens can never be served to
/// another. Memory is bounded by a byte budget with CLOCK eviction. Not thread-safe: one per event loop.
public final class RenderCache {
    /// Counters for `/metrics`.
    public struct Statistics: Sendable, Equatable {
        /// Renders answered from the cache.
        public var hits = 0
        /// Renders that had to run (and were stored when they fit).
        public var misses = 0
        /// Entries dropped to stay within the budget.
        public var evictions = 0
        /// Bytes held now (keys and values).
        public var bytes = 0
        /// Entries held now.
        public var entries = 0

        /// All zero.
        public init() {}
    }

    private struct Entry {
        var key: [UInt8]
        var value: [UInt8]
        var referenced: Bool
    }

    /// The byte budget.
    public let budget: Int
    /// Bytes charged per entry on top of its key and value: the two arrays' headers and malloc rounding, the
    /// index's slot and the entry record. With a charge of 64, a full load run's anonymous memory ended at
    /// 69 MiB with a 32 MiB budget against 8 MiB without the cache (entries of ~0.5 KiB), so about 1 KiB of
    /// real memory per entry; 512 brings the charge in line with that.
    static let entryOverhead = 512
    private var index: [[UInt8]: Int] = [:]
    private var entries: [Entry] = []
    private var hand = 0
    private var revision: UInt64 = 0
    /// Reused to build each lookup key without allocating.
    var keyScratch: [UInt8] = []
    /// Current counters.
    public private(set) var statistics = Statistics()

    /// A cache holding at most `budget` bytes of keys and rendered output.
    public init(budget: Int) {
        self.budget = max(0, budget)
        keyScratch.reserveCapacity(256)
    }

    /// Drops everything (a new revision is live).
    public func removeAll() {
        index.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        hand = 0
        statistics.bytes = 0
        statistics.entries = 0
    }

    /// Forgets entries of other revisions: called with each decision's revision, it empties the cache the
    /// first time a new revision is seen.
    @inline(__always)
    func use(revision: UInt64) {
        if revision != self.revision {
            removeAll()
            self.revision = revision
        }
    }

    /// Appends the cached value for `keyScratch` to `out`; false on a miss.
    @inline(__always)
    func appendHit(to out: inout [UInt8]) -> Bool {
        guard let i = index[keyScratch] else {
            statistics.misses += 1
            return false
        }
        entries[i].referenced = true
        out.append(contentsOf: entries[i].value)
        statistics.hits += 1
        return true
    }

    /// Stores `value` under `keyScratch`, evicting unreferenced entries (CLOCK) until it fits.
    func insert(_ value: ArraySlice<UInt8>) {
        let size = keyScratch.count + value.count + Self.entryOverhead
        guard size <= budget / 4 else { return }
        while statistics.bytes + size > budget, !entries.isEmpty { evictOne() }
        let entry = Entry(key: keyScratch, value: Array(value), referenced: false)
        index[entry.key] = entries.count
        entries.append(entry)
        statistics.bytes += size
        statistics.entries = entries.count
    }

    private func evictOne() {
        while true {
            if hand >= entries.count { hand = 0 }
            if entries[hand].referenced {
                entries[hand].referenced = false
                hand += 1
                continue
            }
            let victim = entries[hand]
            index.removeValue(forKey: victim.key)
            statistics.bytes -= victim.key.count + victim.value.count + Self.entryOverhead
            statistics.evictions += 1
            let last = entries.count - 1
            if hand != last {
                entries[hand] = entries[last]
                index[entries[hand].key] = hand
            }
            entries.removeLast()
            statistics.entries = entries.count
            return
        }
    }
}
