public import Targeting

/// The current weights of bandit experiments, as the outcome collector last computed them: immutable, one
/// object per computation, swapped into each event loop whole.
public final class BanditWeights: Sendable {
    /// One experiment's weights.
    public struct Entry: Sendable, Equatable, Codable {
        /// Increases with each computation that changed them.
        public var version: Int
        /// When they were computed (epoch seconds).
        public var computedAt: Double
        /// One weight per variant, per group: a `per_segment` segment id, or "" for everyone else.
        public var weights: [String: [Double]]
        /// Bucket ranges per group (the weights laid out over the experiment's coverage).
        public var ranges: [String: [VariationRange]]

        /// An entry with the given parts.
        public init(version: Int, computedAt: Double, weights: [String: [Double]], ranges: [String: [VariationRange]]) {
            self.version = version
            self.computedAt = computedAt
            self.weights = weights
            self.ranges = ranges
        }
    }

    /// By experiment key.
    public let entries: [String: Entry]

    /// Weights for the given experiments.
    public init(entries: [String: Entry]) {
        self.entries = entries
    }
}
