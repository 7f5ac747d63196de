import Decision
import LMDB
import Store

/// What a click or conversion did.
public enum FeedbackOutcome: Sendable, Equatable {
    /// Counted; `attributed` is how many units (slot, experiment) it was counted for.
    case counted(attributed: Int)
    /// This token's click (or conversion) was counted before; nothing changed.
    case duplicate
    /// The token's revision or slot is unknown here (its catalog is gone); nothing changed.
    case unknownExposure
}

/// A click or a conversion to count.
public enum Feedback: Sendable {
    /// A click on the exposure `token` names (the token text is its identity for deduplication).
    case click(ExposureClaims, token: String)
    /// A conversion of the exposure `token` names.
    case tokenConversion(ExposureClaims, token: String, value: Double, time: Double)
    /// A conversion by `user`, attributed to their last exposure per unit within the attribution window.
    case userConversion(user: String, value: Double, time: Double)
    /// Counts nothing: answered after the commit that takes it (``OutcomeCollector/flush()``).
    case flushMarker
    /// After the commit, re-computes bandit weights at once (``OutcomeCollector/recomputeBandits()``).
    case banditMarker
}

/// Every counter key seen by this process, numbered (so a batch adds to counters by number instead of hashing
/// key bytes per exposure). Collector thread only.
final class CounterKeyTable {
    private(set) var keys: [[UInt8]] = []
    private var numbers: [[UInt8]: Int] = [:]

    func number(_ key: [UInt8]) -> Int {
        if let n = numbers[key] { return n }
        keys.append(key)
        numbers[key] = keys.count - 1
        return keys.count - 1
    }
}

/// Counter changes gathered during one write transaction, added to the stored counters once at its end.
struct CounterDeltas {
    let table: CounterKeyTable
    var deltas: [Int: OutcomeCounters] = [:]

    init(table: CounterKeyTable = CounterKeyTable()) { self.table = table }

    @inline(__always)
    mutating func update(_ number: Int, _ change: (inout OutcomeCounters) -> Void) {
        change(&deltas[number, default: OutcomeCounters()])
    }

    mutating func update(_ key: [UInt8], _ change: (inout OutcomeCounters) -> Void) {
        update(table.number(key), change)
    }

    func write(to store: OutcomeStore, txn: WriteTransaction) throws {
        for (number, delta) in deltas {
            let key = table.keys[number]
            var c = try key.withUnsafeBytes { try txn.get(store.counts, key: $0) }.flatMap(OutcomeCounters.init(encoded:))
                ?? OutcomeCounters()
            c.add(delta)
            try txn.put(store.counts, key: key, value: c.encoded)
        }
    }
}

/// A revision's catalog with every counter key an exposure can touch built and numbered once.
final class CompiledCatalog {
    struct UnitKeys {
        let unit: [UInt8]
        let outcome: [UInt8]
        let counter: Int
        /// By segment bit.
        let segmentCounters: [Int]
        /// A bandit's groups in order (segment bit, counter) and everyone else's counter; `nil` otherwise.
        let banditGroups: [(bit: Int, counter: Int)]
        let banditOther: Int?
    }

    let catalog: OutcomeCatalog
    /// [slot][outcome] -> units.
    let units: [[[UnitKeys]]]

    init(_ catalog: OutcomeCatalog, table: CounterKeyTable) {
        self.catalog = catalog
        units = catalog.slots.map { slot in
            slot.outcomes.map { d in
                OutcomeStore.units(slot: slot.id, d).map { u in
                    var groups: [(Int, Int)] = []
                    var other: Int? = nil
                    if let b = d.bandit, let e = d.experiment {
                        for name in b.perSegment {
                            if let bit = catalog.segments.firstIndex(of: name) {
                                groups.append((bit, table.number(OutcomeStore.join(UInt8(ascii: "B"), [e, d.variant, name]))))
                            }
                        }
                        other = table.number(OutcomeStore.join(UInt8(ascii: "B"), [e, d.variant, ""]))
                    }
                    return UnitKeys(
                        unit: u.unit, outcome: u.outcome, counter: table.number(u.counter),
                        segmentCounters: catalog.segments.map { table.number(u.segmentCounter($0)) },
                        banditGroups: u.banditCounter == nil ? [] : groups, banditOther: u.banditCounter == nil ? nil : other)
                }
            }
        }
    }
}

extension OutcomeStore {
    /// How precisely an assignment keeps its last exposure time: a repeat within this many seconds (same
    /// revision and segments) is not written again. Attribution windows are days; a minute is far below them.
    static let assignmentResolution: Double = 60

    /// The longest per-experiment attribution window accepted (365 days).
    static let longestAttributionWindow: Double = 365 * 86_400

    /// Counts `exposures` (appending them to the raw log) inside `txn`. `catalog` resolves a revision's names;
    /// an exposure whose revision has none is logged but not counted. Returns how many were counted.
    @discardableResult
    func apply(
        exposures: [Exposure], catalog: (UInt64) throws -> CompiledCatalog?, deltas: inout CounterDeltas,
        txn: WriteTransaction
    ) throws -> Int {
        guard !exposures.isEmpty else { return 0 }
        var next = try metaInteger("log.next", txn: txn)
        var bytes = try metaInteger("log.bytes", txn: txn)
        var counted = 0
        for e in exposures {
            let record = e.encoded
            try txn.put(log, key: next.bigEndianKey, value: record)
            next &+= 1
            bytes &+= UInt64(record.count)
            guard let compiled = try catalog(e.revision), let (_, d) = compiled.catalog.outcome(slot: Int(e.slot), outcome: Int(e.outcome))
            else { continue }
            counted += 1
            let user = Self.userKey(e.user)
            if let version = d.stickyBucketVersion, let experiment = d.experiment {
                // The first variant shown stays the user's until the bucket version changes.
                let key = DataStore.stickyKey(user: e.userID, experiment: experiment)
                let stored = try key.withUnsafeBytes { try txn.get(store.sticky, key: $0) }
                let storedVersion = stored.flatMap { $0.count >= 4 ? Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) : nil }
                if storedVersion != version {
                    try txn.put(store.sticky, key: key, value: DataStore.stickyValue(bucketVersion: version, variant: d.variant))
                }
            }
            for u in compiled.units[Int(e.slot)][Int(e.outcome)] {
                let key = Self.assignmentKey(user: user, unit: u.unit, outcome: u.outcome)
                var a = try key.withUnsafeBytes { try txn.get(assignments, key: $0) }.flatMap(Assignment.init(encoded:))
                let isNew = a == nil
                if a == nil {
                    a = Assignment(first: e.time, last: e.time, revision: e.revision, segments: e.segments, converted: false)
                    try txn.put(assignments, key: key, value: a!.encoded)
                } else if e.time - a!.last >= Self.assignmentResolution || a!.revision != e.revision
                    || a!.segments != e.segments
                {
                    // A repeat exposure within the resolution changes nothing attribution can tell apart: no write.
                    a!.last = max(a!.last, e.time)
                    a!.revision = e.revision
                    a!.segments = e.segments
                    try txn.put(assignments, key: key, value: a!.encoded)
                }
                let count: (inout OutcomeCounters) -> Void = {
                    $0.exposures &+= 1
                    if isNew { $0.users &+= 1 }
                }
                deltas.update(u.counter, count)
                e.segments.forEach { bit in
                    if bit < u.segmentCounters.count { deltas.update(u.segmentCounters[bit], count) }
                }
                if let other = u.banditOther {
                    let group = u.banditGroups.first { e.segments.contains($0.bit) }?.counter ?? other
                    deltas.update(group, count)
                }
            }
        }
        // The raw log keeps its bound: oldest records out first.
        var first = try metaInteger("log.first", txn: txn)
        if bytes > UInt64(max(0, options.decisionLogBytes)) {
            var removed: [(key: [UInt8], size: Int)] = []
            var excess = bytes - UInt64(max(0, options.decisionLogBytes))
            try txn.forEach(log, prefix: []) { k, v in
                removed.append((Array(k), v.count))
                excess = excess > UInt64(v.count) ? excess - UInt64(v.count) : 0
                return excess > 0
            }
            for r in removed {
                try txn.delete(log, key: r.key)
                bytes = bytes > UInt64(r.size) ? bytes - UInt64(r.size) : 0
                first &+= 1
            }
        }
        try setMetaInteger("log.next", next, txn: txn)
        try setMetaInteger("log.bytes", bytes, txn: txn)
        try setMetaInteger("log.first", first, txn: txn)
        return counted
    }

    /// Counts one click or conversion inside `txn`.
    func apply(
        _ feedback: Feedback, catalog: (UInt64) throws -> OutcomeCatalog?, deltas: inout CounterDeltas,
        txn: WriteTransaction
    ) throws -> FeedbackOutcome {
        switch feedback {
        case .click(let claims, let token):
            return try applyToken(claims, seenKey: "k" + token, catalog: catalog, deltas: &deltas, txn: txn) {
                counters, _ in counters.clicks &+= 1
            }
        case .tokenConversion(let claims, let token, let value, _):
            return try applyToken(claims, seenKey: "c" + token, catalog: catalog, deltas: &deltas, txn: txn) {
                counters, firstConversion in
                counters.conversions &+= 1
                counters.revenue += value
                if firstConversion { counters.converters &+= 1 }
            }
        case .userConversion(let user, let value, let time):
            return try applyUserConversion(user: user, value: value, time: time, deltas: &deltas, txn: txn)
        case .flushMarker, .banditMarker:
            return .counted(attributed: 0)
        }
    }

    private func applyToken(
        _ claims: ExposureClaims, seenKey: String, catalog: (UInt64) throws -> OutcomeCatalog?,
        deltas: inout CounterDeltas, txn: WriteTransaction, count: (inout OutcomeCounters, Bool) -> Void
    ) throws -> FeedbackOutcome {
        let seenBytes = Array(seenKey.utf8)
        if try seenBytes.withUnsafeBytes({ try txn.get(seen, key: $0) }) != nil { return .duplicate }
        guard let cat = try catalog(UInt64(claims.revision)),
            let (slot, d) = cat.outcome(slot: Int(claims.slot), outcome: Int(claims.outcome))
        else { return .unknownExposure }
        try txn.put(seen, key: seenBytes, value: withUnsafeBytes(of: Double(claims.time).bitPattern.littleEndian) { Array($0) })
        var attributed = 0
        for u in Self.units(slot: slot, d) {
            let key = Self.assignmentKey(user: claims.user, unit: u.unit, outcome: u.outcome)
            var a = try key.withUnsafeBytes { try txn.get(assignments, key: $0) }.flatMap(Assignment.init(encoded:))
            // A conversion is the user's first for this outcome when the assignment has not converted yet.
            let firstConversion = a.map { !$0.converted } ?? true
            deltas.update(u.counter) { count(&$0, firstConversion) }
            let names = a.map { cat.segmentNames($0.segments) } ?? []
            for s in names { deltas.update(u.segmentCounter(s)) { count(&$0, firstConversion) } }
            if let group = u.banditCounter { deltas.update(group(names)) { count(&$0, firstConversion) } }
            if seenKey.hasPrefix("c"), a != nil, firstConversion {
                a!.converted = true
                try txn.put(assignments, key: key, value: a!.encoded)
            }
            attributed += 1
        }
        return .counted(attributed: attributed)
    }

    private func applyUserConversion(
        user: String, value: Double, time: Double, deltas: inout CounterDeltas, txn: WriteTransaction
    ) throws -> FeedbackOutcome {
        let userKey = Self.userKey(Array(user.utf8))
        let prefix = userKey.bigEndianKey
        // The last exposure per unit within the window, as (unit, key, assignment).
        var best: [[UInt8]: (key: [UInt8], assignment: Assignment)] = [:]
        try txn.forEach(assignments, prefix: prefix) { k, v in
            guard k.count >= 10, let a = Assignment(encoded: v) else { return true }
            let unitLength = Int(k[8]) << 8 | Int(k[9])
            guard k.count >= 10 + unitLength else { return true }
            let unit = Array(k[10..<(10 + unitLength)])
            // The window is checked below, per experiment; anything older than the longest allowed is out.
            guard a.last <= time + 300, a.last >= time - Self.longestAttributionWindow else { return true }
            if let b = best[unit], b.assignment.last >= a.last { return true }
            best[unit] = (Array(k), a)
            return true
        }
        var attributed = 0
        for (unit, entry) in best {
            let key = entry.key
            var a = entry.assignment
            // The outcome part is `join(0, parts)`: a 0 kind byte, then each part after a 0.
            let outcomeParts = key[(10 + unit.count)...].split(separator: 0, omittingEmptySubsequences: false)
                .dropFirst(2).map { String(decoding: $0, as: UTF8.self) }
            let name = String(decoding: unit.dropFirst(2), as: UTF8.self)
            let cat = try catalog(a.revision, get: { try txn.get($0, key: $1) })
            // An experiment's own attribution window, else the server's.
            var window = options.attributionWindow
            if unit.first == UInt8(ascii: "e"),
                let w = cat?.slots.lazy.flatMap(\.outcomes).first(where: { $0.experiment == name })?.attributionWindow
            {
                window = w
            }
            guard a.last >= time - window else { continue }
            let counter: [UInt8]
            let segmentCounter: (String) -> [UInt8]
            if unit.first == UInt8(ascii: "e"), outcomeParts.count == 1 {
                counter = Self.join(UInt8(ascii: "e"), [name, outcomeParts[0]])
                segmentCounter = { Self.join(UInt8(ascii: "E"), [name, outcomeParts[0], $0]) }
            } else if unit.first == UInt8(ascii: "s"), outcomeParts.count == 2 {
                counter = Self.join(UInt8(ascii: "s"), [name] + outcomeParts)
                segmentCounter = { Self.join(UInt8(ascii: "S"), [name] + outcomeParts + [$0]) }
            } else {
                continue
            }
            attributed += 1
            let firstConversion = !a.converted
            let apply: (inout OutcomeCounters) -> Void = { c in
                c.conversions &+= 1
                c.revenue += value
                if firstConversion { c.converters &+= 1 }
            }
            deltas.update(counter, apply)
            let segmentNames = cat?.segmentNames(a.segments) ?? []
            for s in segmentNames { deltas.update(segmentCounter(s), apply) }
            if unit.first == UInt8(ascii: "e"),
                let d = cat?.slots.lazy.flatMap(\.outcomes).first(where: { $0.experiment == name && $0.variant == outcomeParts[0] }),
                let group = Self.banditCounter(d, segments: segmentNames)
            {
                deltas.update(group, apply)
            }
            if firstConversion {
                a.converted = true
                try txn.put(assignments, key: key, value: a.encoded)
            }
        }
        return .counted(attributed: attributed)
    }

    /// Forgets counted tokens older than the token window (they are refused as expired anyway).
    func pruneSeen(now: Double, txn: WriteTransaction) throws {
        var old: [[UInt8]] = []
        try txn.forEach(seen) { k, v in
            if v.count == 8, Double(bitPattern: UInt64(littleEndian: v.loadUnaligned(as: UInt64.self))) < now - options.tokenWindow {
                old.append(Array(k))
            }
            return old.count < 100_000
        }
        for k in old { try txn.delete(seen, key: k) }
    }
}
