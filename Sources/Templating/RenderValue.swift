/// A value a template can be rendered against.
///
/// The engine only ever asks these five questions, so a conformer can sit over any storage (an
/// owned ``JSON/JSONValue``, a memory-mapped profile, ...). Rendering is generic over the
/// conformer and `@inlinable`, so it is specialized for each concrete type.
public protocol RenderValue {
    /// Member `name` of this value when it is an object-like value, else nil.
    ///
    /// A member that exists but holds null must return a (null) value, not nil: name resolution
    /// stops at the first context that has the key.
    func member(_ name: String) -> Self?

    /// Mustache falsiness: false, null/missing, empty list. (An empty string is NOT falsey in the
    /// spec, so it is not falsey here either.)
    var isFalsey: Bool { get }

    /// Non-nil when this value is a list: its element count.
    var listCount: Int? { get }

    /// The element at `index` (`0..<listCount`) of a list value.
    func element(at index: Int) -> Self

    /// Appends the value's text form (numbers as in the spec: 1.0 -> "1", 1.5 -> "1.5";
    /// null -> "") unescaped. The engine HTML-escapes the appended bytes when the tag requires it.
    func appendText(to out: inout [UInt8])
}
