public import JSON

/// The request-side facts a decision may use (`context.*` in conditions and templates): device, country,
/// path, referrer, and any other parameter the frontend sends.
public struct RequestContext: Sendable {
    /// Parameters in the order given; the first occurrence of a key wins.
    public var values: [(key: String, value: JSONValue)]

    /// A context with the given values.
    public init(_ values: [(key: String, value: JSONValue)] = []) {
        self.values = values
    }

    /// The value of `key`, or `nil`.
    @inline(__always)
    public func value(_ key: String) -> JSONValue? {
        for v in values where v.key == key { return v.value }
        return nil
    }
}
