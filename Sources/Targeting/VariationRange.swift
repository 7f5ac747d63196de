/// A bucket range `[lower, upper)` of hash values assigned to one variation.
public struct VariationRange: Sendable, Hashable, Codable {
    /// Inclusive lower bound.
    public var lower: Double
    /// Exclusive upper bound.
    public var upper: Double

    /// A range `[lower, upper)`.
    public init(_ lower: Double, _ upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// Whether `n` falls in the range (GrowthBook's `inRange`).
    public func contains(_ n: Double) -> Bool {
        n >= lower && n < upper
    }
}
