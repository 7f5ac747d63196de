/// Where a compiled condition reads its top-level paths.
public protocol ConditionScope {
    /// The value type the scope hands out.
    associatedtype Value: ConditionValue

    /// The value at `path` (already split on dots), or one of kind `.undefined`.
    ///
    /// `binding` is the number the compile-time binder returned for this path, so the scope can resolve
    /// it without string work. `FieldPath.resolve(in:)` walks a path the way GrowthBook does.
    func value(binding: Int, path: FieldPath) -> Value

    /// The evaluation's current time in seconds since the Unix epoch, for relative-time operators
    /// (`$olderThan`, `$within`). NaN (the default) means no clock: every relative-time test is false.
    var now: Double { get }

    /// Whether saved group `group` (the number the compiler's saved-group catalog gave it) holds `member`;
    /// `nil` when the group no longer exists (every test on it is then false). With `member == nil`, only
    /// whether the group exists: `false` if it does.
    ///
    /// Called on the hot path, once per tested value: one keyed lookup, nothing allocated.
    func savedGroup(_ group: Int, contains member: SavedGroupMember?) -> Bool?

    /// ``value(binding:path:)`` for a scope borrowed through a pointer, which is how `Condition.evaluate`
    /// reads values. The evaluator's resolver is not specialized across the module boundary, and calling an
    /// instance method on `pointer.pointee` from unspecialized code copies the whole scope (retaining every
    /// reference in it) once per value read: a copy of the decision scope per condition leaf was the largest
    /// source of retain/release in a decide profile. Scopes that hold references implement this directly;
    /// the default reads through the instance method.
    static func value(in scope: UnsafePointer<Self>, binding: Int, path: FieldPath) -> Value

    /// ``savedGroup(_:contains:)`` for a scope borrowed through a pointer (see ``value(in:binding:path:)``).
    static func savedGroup(in scope: UnsafePointer<Self>, _ group: Int, contains member: SavedGroupMember?) -> Bool?
}

extension ConditionScope {
    /// No clock: relative-time tests are false.
    public var now: Double { .nan }

    /// No saved groups: every group test is false.
    public func savedGroup(_ group: Int, contains member: SavedGroupMember?) -> Bool? { nil }

    @inline(__always)
    public static func value(in scope: UnsafePointer<Self>, binding: Int, path: FieldPath) -> Value {
        scope.pointee.value(binding: binding, path: path)
    }

    @inline(__always)
    public static func savedGroup(
        in scope: UnsafePointer<Self>, _ group: Int, contains member: SavedGroupMember?
    ) -> Bool? {
        scope.pointee.savedGroup(group, contains: member)
    }
}
