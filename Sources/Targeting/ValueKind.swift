/// Kinds of value a condition can see.
///
/// `undefined` is a missing value (an absent member, a path through a non-object). Conditions treat it
/// exactly like `null`, as GrowthBook does: its path lookup returns `null` for anything missing.
public enum ValueKind: Sendable, Hashable, Codable {
    /// No value at all (a missing member or path).
    case undefined
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool
    /// A JSON number.
    case number
    /// A UTF-8 string.
    case string
    /// An ordered list of values.
    case array
    /// String-keyed members.
    case object
}
