public import JSON

/// A `ConditionScope` over a `JSONValue` object: paths are looked up from the root (bindings unused).
public struct JSONConditionScope: ConditionScope, Sendable {
    /// The object paths start from.
    public let root: JSONValue
    /// The evaluation's current time (seconds since the epoch) for `$olderThan`/`$within`; NaN: no clock.
    public let now: Double

    /// Saved groups by number: each one's members in stored form (``SavedGroupMember``).
    public let savedGroups: [Int: Set<[UInt8]>]

    /// A scope reading paths below `root`, evaluated at `now`, with `savedGroups` by number.
    public init(_ root: JSONValue, now: Double = .nan, savedGroups: [Int: Set<[UInt8]>] = [:]) {
        self.root = root
        self.now = now
        self.savedGroups = savedGroups
    }

    /// Looks `member` up in the group's set (allocates; for tests, previews and tools, not the hot path).
    public func savedGroup(_ group: Int, contains member: SavedGroupMember?) -> Bool? {
        guard let members = savedGroups[group] else { return nil }
        guard let member else { return false }
        return members.contains([member.tag] + Array(member.payload))
    }

    /// The value at `path` below the root, walked as GrowthBook's `getPath` does.
    public func value(binding: Int, path: FieldPath) -> JSONConditionValue {
        path.resolve(in: JSONConditionValue(root))
    }
}
