/// One step from the root of a condition's source to a place in it.
public enum PathElement: Sendable, Hashable, Codable, CustomStringConvertible {
    /// An object member.
    case key(String)
    /// An array element.
    case index(Int)

    /// `.name` or `[3]`.
    public var description: String {
        switch self {
        case .key(let key): return "." + key
        case .index(let index): return "[\(index)]"
        }
    }
}
