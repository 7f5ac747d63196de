import Foundation

/// The statistics results are reported with.
public enum ExperimentStatistics {
    /// z for a two-sided 95% interval.
    static let z95 = 1.959963984540054

    /// The Wilson score interval (95%) of `successes` out of `trials`; (0, 0) without trials.
    public static func wilson(successes: UInt64, trials: UInt64) -> (low: Double, high: Double) {
        guard trials > 0 else { return (0, 0) }
        let n = Double(trials)
        let p = min(1, Double(successes) / n)
        let z2 = z95 * z95
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z95 * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (max(0, centre - half), min(1, centre + half))
    }

    /// P(rate of B > rate of A) with uniform priors: A ~ Beta(1 + sA, 1 + nA - sA), B likewise.
    ///
    /// Exact (Evan Miller's sum, in log space) while B's successes are few enough to sum; past that the
    /// normal approximation of the two Beta posteriors, which is accurate there.
    public static func chanceToBeat(
        control: (successes: UInt64, trials: UInt64), variant: (successes: UInt64, trials: UInt64)
    ) -> Double {
        let aA = 1 + Double(min(control.successes, control.trials))
        let bA = 1 + Double(control.trials - min(control.successes, control.trials))
        let aB = 1 + Double(min(variant.successes, variant.trials))
        let bB = 1 + Double(variant.trials - min(variant.successes, variant.trials))
        if aB <= 5_000 {
            func logBeta(_ a: Double, _ b: Double) -> Double { lgamma(a) + lgamma(b) - lgamma(a + b) }
            var total = 0.0
            let base = logBeta(aA, bA)
            var i = 0.0
            while i < aB {
                total += exp(logBeta(aA + i, bB + bA) - log(bB + i) - logBeta(1 + i, bB) - base)
                i += 1
            }
            return min(1, max(0, total))
        }
        func moments(_ a: Double, _ b: Double) -> (Double, Double) {
            (a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1)))
        }
        let (mA, vA) = moments(aA, bA)
        let (mB, vB) = moments(aB, bB)
        let sd = (vA + vB).squareRoot()
        guard sd > 0 else { return mB > mA ? 1 : 0 }
        return 0.5 * erfc(-(mB - mA) / sd / 2.0.squareRoot())
    }

    /// The sample-ratio-mismatch test: Pearson's chi-square of `observed` counts against the shares
    /// `weights` (normalized), with its p-value (k - 1 degrees of freedom). `nil` with fewer than two
    /// weighted variants or no observations.
    public static func sampleRatioMismatch(observed: [UInt64], weights: [Double]) -> (chiSquare: Double, pValue: Double)? {
        guard observed.count == weights.count, observed.count >= 2 else { return nil }
        let total = observed.reduce(0.0) { $0 + Double($1) }
        let weightSum = weights.reduce(0, +)
        guard total > 0, weightSum > 0, weights.allSatisfy({ $0 > 0 }) else { return nil }
        var chi = 0.0
        for (o, w) in zip(observed, weights) {
            let expected = total * w / weightSum
            chi += (Double(o) - expected) * (Double(o) - expected) / expected
        }
        return (chi, upperIncompleteGammaQ(Double(observed.count - 1) / 2, chi / 2))
    }

    /// Q(a, x), the regularized upper incomplete gamma function (series below a + 1, continued fraction
    /// above; Numerical Recipes §6.2). The chi-square p-value is Q(k / 2, x / 2).
    static func upperIncompleteGammaQ(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let lnPrefix = -x + a * log(x) - lgamma(a)
        if x < a + 1 {
            var sum = 1 / a
            var term = sum
            var n = a
            for _ in 0..<1000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return max(0, min(1, 1 - sum * exp(lnPrefix)))
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...1000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return max(0, min(1, exp(lnPrefix) * h))
    }
}
