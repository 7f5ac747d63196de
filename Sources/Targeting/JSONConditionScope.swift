public import JSON

/// A `ConditionScope` over a `JSONValue` object: paths are looked up from the root (bindings unused).
public struct JSONConditionScope: ConditionScope, Sendable {
    /// The object paths start from.
    public let root: JSONValue
    /// The evaluation's current time (seconds since the epoch) for `$olderThan`/`$within`; NaN: no clock.
    public let now: Double

    /// A scope reading paths below `root`, evaluated at `now`.
    public init(_ root: JSONValue, now: Double = .nan) {
        self.root = root
        self.now = now
    }

    /// The value at `path` below the root, walked as GrowthBook's `getPath` does.
    public func value(binding: Int, path: FieldPath) -> JSONConditionValue {
        path.resolve(in: JSONConditionValue(root))
    }
}
