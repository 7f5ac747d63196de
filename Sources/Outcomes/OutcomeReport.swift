public import JSON
import LMDB
import Store
import Decision

/// Results as the admin API and `tessera results` show them, read from the stored counters.
public struct OutcomeReport: Sendable {
    let store: OutcomeStore

    /// A report over `store`.
    public init(store: OutcomeStore) { self.store = store }

    /// Every stored counter under `prefix` (a kind and names), as (the names after the prefix, counters).
    func counters(_ kind: UInt8, _ names: [String]) throws -> [([String], OutcomeCounters)] {
        let prefix = OutcomeStore.join(kind, names) + [0]
        var out: [([String], OutcomeCounters)] = []
        let txn = try ReadTransaction(store.store.environment)
        defer { txn.reset() }
        try txn.forEach(store.counts, prefix: prefix) { k, v in
            guard let c = OutcomeCounters(encoded: v) else { return true }
            let rest = k[prefix.count...].split(separator: 0, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            out.append((rest, c))
            return true
        }
        return out
    }

    /// Experiment keys with stored counts.
    public func experimentKeys() throws -> [String] {
        var keys: [String] = []
        let txn = try ReadTransaction(store.store.environment)
        defer { txn.reset() }
        try txn.forEach(store.counts, prefix: [UInt8(ascii: "e"), 0]) { k, _ in
            let parts = k.dropFirst(2).split(separator: 0, omittingEmptySubsequences: false)
            if let key = parts.first.map({ String(decoding: $0, as: UTF8.self) }), keys.last != key { keys.append(key) }
            return true
        }
        return keys
    }

    /// The configured variants of experiment `key` in `catalog` (order and weights), when it has them.
    static func configured(_ key: String, in catalog: OutcomeCatalog?) -> [(variant: String, weight: Double)] {
        guard let catalog else { return [] }
        for slot in catalog.slots {
            let variants = slot.outcomes.filter { $0.experiment == key }
            if !variants.isEmpty { return variants.map { ($0.variant, $0.weight ?? 0) } }
        }
        return []
    }

    /// One experiment's results: per variant counts, rates with 95% Wilson intervals, chance to beat the
    /// control (the first configured variant), the sample-ratio test of users against the configured
    /// weights (from `catalog`, the serving revision's), and the same per segment.
    public func experiment(_ key: String, catalog: OutcomeCatalog?) throws -> JSONValue? {
        let rows = try counters(UInt8(ascii: "e"), [key])
        guard !rows.isEmpty || !Self.configured(key, in: catalog).isEmpty else { return nil }
        let configured = Self.configured(key, in: catalog)
        var order = configured.map(\.variant)
        for (names, _) in rows where names.count == 1 && !order.contains(names[0]) { order.append(names[0]) }
        var byVariant: [String: OutcomeCounters] = [:]
        for (names, c) in rows where names.count == 1 { byVariant[names[0]] = c }
        let variants = order.map { ($0, byVariant[$0] ?? OutcomeCounters()) }

        var members: [(key: String, value: JSONValue)] = [("experiment", .string(key))]
        members.append(("control", order.first.map(JSONValue.string) ?? .null))
        members.append(("variants", .array(Self.variantRows(variants, weights: configured))))
        var srm: JSONValue = .null
        if configured.count == variants.count, configured.count >= 2,
            let test = ExperimentStatistics.sampleRatioMismatch(
                observed: variants.map(\.1.users), weights: configured.map(\.weight))
        {
            srm = .object([
                ("chi_square", .number(test.chiSquare)), ("p_value", .number(test.pValue)),
                ("mismatch", .bool(test.pValue < 0.001)),
                ("note", .string("users per variant against the configured weights; mismatch when p < 0.001")),
            ])
        }
        members.append(("sample_ratio", srm))
        // Per segment: the same rows for the users who were in it when exposed.
        var segments: [String: [String: OutcomeCounters]] = [:]
        for (names, c) in try counters(UInt8(ascii: "E"), [key]) where names.count == 2 {
            segments[names[1], default: [:]][names[0]] = c
        }
        members.append(
            ("segments",
             .object(
                segments.keys.sorted().map { s in
                    (s, .array(Self.variantRows(order.map { ($0, segments[s]?[$0] ?? OutcomeCounters()) }, weights: configured)))
                })))
        return .object(members)
    }

    /// Per slot, rule and variant (and per segment within each) of slot `slot`.
    public func slot(_ slot: String) throws -> JSONValue {
        var rows: [JSONValue] = []
        for (names, c) in try counters(UInt8(ascii: "s"), [slot]) where names.count == 2 {
            var m = Self.counterMembers(c)
            m.insert(("variant", .string(names[1])), at: 0)
            m.insert(("rule", names[0].isEmpty ? .null : .string(names[0])), at: 0)
            var segs: [(key: String, value: JSONValue)] = []
            for (sn, sc) in try counters(UInt8(ascii: "S"), [slot, names[0], names[1]]) where sn.count == 1 {
                segs.append((sn[0], .object(Self.counterMembers(sc))))
            }
            m.append(("segments", .object(segs)))
            rows.append(.object(m))
        }
        return .object([("slot", .string(slot)), ("outcomes", .array(rows))])
    }

    static func rate(_ s: UInt64, _ n: UInt64) -> JSONValue {
        let w = ExperimentStatistics.wilson(successes: s, trials: n)
        return .object([
            ("rate", n > 0 ? .number(Double(s) / Double(n)) : .null), ("low", .number(w.low)), ("high", .number(w.high)),
        ])
    }

    static func counterMembers(_ c: OutcomeCounters) -> [(key: String, value: JSONValue)] {
        [
            ("exposures", .number(Double(c.exposures))), ("users", .number(Double(c.users))),
            ("clicks", .number(Double(c.clicks))), ("ctr", rate(c.clicks, c.exposures)),
            ("conversions", .number(Double(c.conversions))), ("converters", .number(Double(c.converters))),
            ("conversion_rate", rate(c.converters, c.users)), ("revenue", .number(c.revenue)),
            ("revenue_per_exposure", c.exposures > 0 ? .number(c.revenue / Double(c.exposures)) : .null),
        ]
    }

    static func variantRows(_ variants: [(String, OutcomeCounters)], weights: [(variant: String, weight: Double)]) -> [JSONValue] {
        let control = variants.first?.1
        return variants.enumerated().map { i, entry in
            let (name, c) = entry
            var m = counterMembers(c)
            m.insert(("variant", .string(name)), at: 0)
            m.insert(("weight", weights.first { $0.variant == name }.map { .number($0.weight) } ?? .null), at: 1)
            if i > 0, let control {
                m.append(
                    ("chance_to_beat_control",
                     .object([
                        ("ctr", .number(ExperimentStatistics.chanceToBeat(
                            control: (control.clicks, control.exposures), variant: (c.clicks, c.exposures)))),
                        ("conversion", .number(ExperimentStatistics.chanceToBeat(
                            control: (control.converters, control.users), variant: (c.converters, c.users)))),
                     ])))
            } else {
                m.append(("chance_to_beat_control", .null))
            }
            return .object(m)
        }
    }

    /// Raw log records after sequence number `after` (from the oldest kept when `nil`), at most `limit`, whose
    /// time is at least `since`: (sequence number, exposure).
    public func decisions(after: UInt64?, since: Double, limit: Int) throws -> [(UInt64, Exposure)] {
        if after == .max { return [] }
        let start = after.map { $0 + 1 } ?? 0
        var out: [(UInt64, Exposure)] = []
        let txn = try ReadTransaction(store.store.environment)
        defer { txn.reset() }
        try txn.forEach(store.log, from: start.bigEndianKey) { k, v in
            guard k.count == 8 else { return true }
            let seq = UInt64(bigEndian: k.loadUnaligned(as: UInt64.self))
            if let e = Exposure(encoded: v), e.time >= since { out.append((seq, e)) }
            return out.count < limit
        }
        return out
    }

    /// The stored catalog of `revision`.
    public func catalog(_ revision: UInt64) throws -> OutcomeCatalog? {
        let txn = try ReadTransaction(store.store.environment)
        defer { txn.reset() }
        return try store.catalog(revision, get: { try txn.get($0, key: $1) })
    }
}
