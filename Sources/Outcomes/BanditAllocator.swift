public import Decision
import Foundation
import LMDB
import Targeting

/// Thompson sampling over Beta posteriors: each variant's weight is the share of joint draws from
/// Beta(1 + successes, 1 + failures) in which it is the best, kept at least `minShare` and renormalized.
/// Seeded, so the same counts and seed give the same weights.
public enum ThompsonSampling {
    /// Draws per computation.
    public static let draws = 20_000

    public static func weights(
        successes: [UInt64], trials: [UInt64], minShare: Double, seed: UInt64, draws: Int = ThompsonSampling.draws
    ) -> [Double] {
        let k = successes.count
        guard k > 0, trials.count == k else { return [] }
        var rng = SplitMix64(seed: seed)
        var wins = [Int](repeating: 0, count: k)
        let alpha = (0..<k).map { 1 + Double(min(successes[$0], trials[$0])) }
        let beta = (0..<k).map { 1 + Double(trials[$0] - min(successes[$0], trials[$0])) }
        for _ in 0..<max(1, draws) {
            var best = 0
            var bestValue = -1.0
            for i in 0..<k {
                let x = sampleBeta(alpha[i], beta[i], &rng)
                if x > bestValue {
                    bestValue = x
                    best = i
                }
            }
            wins[best] += 1
        }
        let total = Double(max(1, draws))
        var w = wins.map { Double($0) / total }
        // Each arm keeps its floor; the rest is shared in proportion to the wins.
        let floor = min(max(0, minShare), 1 / Double(k))
        let free = 1 - floor * Double(k)
        w = w.map { floor + free * $0 }
        let sum = w.reduce(0, +)
        return w.map { $0 / sum }
    }

    static func uniform(_ rng: inout SplitMix64) -> Double {
        (Double(rng.next() >> 11) + 0.5) / 9_007_199_254_740_992  // (0, 1)
    }

    static func normal(_ rng: inout SplitMix64) -> Double {
        (-2 * log(uniform(&rng))).squareRoot() * cos(2 * Double.pi * uniform(&rng))
    }

    /// Marsaglia and Tsang's method (2000); shape < 1 through the boost Gamma(a) = Gamma(a + 1) * U^(1/a).
    static func sampleGamma(_ shape: Double, _ rng: inout SplitMix64) -> Double {
        if shape < 1 { return sampleGamma(shape + 1, &rng) * pow(uniform(&rng), 1 / shape) }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = normal(&rng)
            let v0 = 1 + c * x
            guard v0 > 0 else { continue }
            let v = v0 * v0 * v0
            let u = uniform(&rng)
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    static func sampleBeta(_ a: Double, _ b: Double, _ rng: inout SplitMix64) -> Double {
        let x = sampleGamma(a, &rng)
        let y = sampleGamma(b, &rng)
        return x / (x + y)
    }
}

/// One bandit experiment as the collector sees it in the serving revision's catalog.
struct BanditExperiment {
    let key: String
    let variants: [String]
    let configured: [Double]
    let settings: BanditSettings
    let coverage: Double

    /// The bandit experiments of `catalog`.
    static func all(in catalog: OutcomeCatalog) -> [BanditExperiment] {
        var out: [BanditExperiment] = []
        for slot in catalog.slots {
            var byKey: [String: [OutcomeDescription]] = [:]
            var order: [String] = []
            for o in slot.outcomes where o.bandit != nil && o.holdout == nil {
                guard let key = o.experiment else { continue }
                if byKey[key] == nil { order.append(key) }
                byKey[key, default: []].append(o)
            }
            for key in order where !out.contains(where: { $0.key == key }) {
                let vs = byKey[key] ?? []
                guard let settings = vs.first?.bandit else { continue }
                out.append(
                    BanditExperiment(
                        key: key, variants: vs.map(\.variant), configured: vs.map { $0.weight ?? 0 }, settings: settings,
                        coverage: vs.first?.coverage ?? 1))
            }
        }
        return out
    }
}

extension OutcomeStore {
    static func banditKey(_ experiment: String) -> [UInt8] { Array("bandit/".utf8) + Array(experiment.utf8) }

    static func banditHistoryKey(_ experiment: String, version: Int) -> [UInt8] {
        Array("bandit-history/".utf8) + Array(experiment.utf8) + [0] + UInt64(max(0, version)).bigEndianKey
    }

    /// The stored current weights of every bandit experiment.
    func storedBanditWeights(txn: ReadTransaction) throws -> [String: BanditWeights.Entry] {
        var out: [String: BanditWeights.Entry] = [:]
        let prefix = Array("bandit/".utf8)
        try txn.forEach(meta, prefix: prefix) { k, v in
            let key = String(decoding: k.dropFirst(prefix.count), as: UTF8.self)
            if let e = try? JSONDecoder().decode(BanditWeights.Entry.self, from: Data(v)) { out[key] = e }
            return true
        }
        return out
    }

    /// Re-computes the weights of `experiment` from its counts inside `txn`; stores and returns them when they
    /// changed (a new version), else `nil`.
    func recomputeBandit(
        _ experiment: BanditExperiment, previous: BanditWeights.Entry?, now: Double, txn: WriteTransaction
    ) throws -> BanditWeights.Entry? {
        var weights: [String: [Double]] = [:]
        let groups = [""] + experiment.settings.perSegment
        for group in groups {
            var successes: [UInt64] = []
            var trials: [UInt64] = []
            for v in experiment.variants {
                // The group's own counts: users in none of the per-segment segments count only in "".
                let key = Self.join(UInt8(ascii: "B"), [experiment.key, v, group])
                let c =
                    try key.withUnsafeBytes { try txn.get(counts, key: $0) }.flatMap(OutcomeCounters.init(encoded:))
                    ?? OutcomeCounters()
                if experiment.settings.metric == "conversion" {
                    successes.append(c.converters)
                    trials.append(c.users)
                } else {
                    successes.append(c.clicks)
                    trials.append(c.exposures)
                }
            }
            let burnedIn = trials.allSatisfy { $0 >= UInt64(max(0, experiment.settings.burnIn)) }
            // Before the burn-in the configured split stands.
            weights[group] =
                burnedIn
                ? ThompsonSampling.weights(
                    successes: successes, trials: trials, minShare: experiment.settings.minShare,
                    seed: UInt64(truncatingIfNeeded: (previous?.version ?? 0) + 1) &* 0x9E37_79B9_7F4A_7C15
                        ^ Self.userKey(experiment.key.utf8))
                : experiment.configured
        }
        if let previous, previous.weights == weights { return nil }
        var ranges: [String: [VariationRange]] = [:]
        for (g, w) in weights {
            ranges[g] = Bucketing.bucketRanges(count: w.count, coverage: experiment.coverage, weights: w)
        }
        let entry = BanditWeights.Entry(
            version: (previous?.version ?? 0) + 1, computedAt: now, weights: weights, ranges: ranges)
        let encoded = Array(try JSONEncoder().encode(entry))
        try txn.put(meta, key: Self.banditKey(experiment.key), value: encoded)
        try txn.put(meta, key: Self.banditHistoryKey(experiment.key, version: entry.version), value: encoded)
        return entry
    }

    /// The weight history of `experiment`, oldest first.
    func banditHistory(_ experiment: String, txn: ReadTransaction) throws -> [BanditWeights.Entry] {
        var out: [BanditWeights.Entry] = []
        try txn.forEach(meta, prefix: Array("bandit-history/".utf8) + Array(experiment.utf8) + [0]) { _, v in
            if let e = try? JSONDecoder().decode(BanditWeights.Entry.self, from: Data(v)) { out.append(e) }
            return true
        }
        return out
    }
}
