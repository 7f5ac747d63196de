/// Why a condition did not compile, and where.
public struct ConditionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. `unknown operator '$gtee'` or `invalid regex '[a-': ...`.
    public var message: String
    /// Where in the source: object keys and array indexes from the root, so the caller can map it to a
    /// YAML line:column.
    public var location: [PathElement]

    /// Makes an error at `location`.
    public init(message: String, location: [PathElement]) {
        self.message = message
        self.location = location
    }

    /// `message at .a.b[2]`, or just the message at the root.
    public var description: String {
        location.isEmpty ? message : "\(message) at \(location.map(\.description).joined())"
    }
}
