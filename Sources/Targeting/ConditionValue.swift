/// A value seen by a condition.
///
/// The server implements this over bytes in an LMDB map, so it must be a cheap view: every requirement
/// is called on the hot path, and none may allocate.
public protocol ConditionValue {
    /// What this value is; decides which other requirement may be called.
    var kind: ValueKind { get }
    /// The value, when `kind == .bool`.
    var boolValue: Bool { get }
    /// The value, when `kind == .number`.
    var numberValue: Double { get }
    /// Calls `body` with the UTF-8 bytes of the value, when `kind == .string`.
    func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
    /// The number of elements when `kind == .array`, or of members when `kind == .object`.
    var count: Int { get }
    /// The element at `index` (`0..<count`), when `kind == .array`.
    func element(at index: Int) -> Self
    /// The member named `key`; a value of kind `.undefined` if it is absent or `self` is not an object.
    func member(_ key: String) -> Self
    /// The member at `index` (`0..<count`) in stored order, when `kind == .object`; `key` is of kind `.string`.
    ///
    /// Only literal object comparisons (`{"tags": {"a": 1}}`) need this: JSON equality must see extra members.
    func member(at index: Int) -> (key: Self, value: Self)
}
