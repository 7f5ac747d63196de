public import JSON

/// A `ConditionScope` over a `JSONValue` object: paths are looked up from the root (bindings unused).
public struct JSONConditionScope: ConditionScope, Sendable {
    /// The object paths start from.
    public let root: JSONValue

    /// A scope reading paths below `root`.
    public init(_ root: JSONValue) {
        self.root = root
    }

    /// The value at `path` below the root, walked as GrowthBook's `getPath` does.
    public func value(binding: Int, path: FieldPath) -> JSONConditionValue {
        path.resolve(in: JSONConditionValue(root))
    }
}
