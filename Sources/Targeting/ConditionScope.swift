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
}

extension ConditionScope {
    /// No clock: relative-time tests are false.
    public var now: Double { .nan }
}
