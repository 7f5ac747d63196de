public import JSON

/// A `ConditionValue` over an owned `JSONValue` (tests, previews); `nil` is `.undefined`.
public struct JSONConditionValue: ConditionValue, Sendable {
    /// The wrapped value, or nil for a missing one.
    public let json: JSONValue?

    /// Wraps `json` (nil for a missing value).
    public init(_ json: JSONValue?) {
        self.json = json
    }

    /// The kind of the wrapped value.
    public var kind: ValueKind {
        switch json {
        case nil: return .undefined
        case .null?: return .null
        case .bool?: return .bool
        case .number?: return .number
        case .string?: return .string
        case .array?: return .array
        case .object?: return .object
        }
    }

    /// The boolean, or false for other kinds.
    public var boolValue: Bool {
        if case .bool(let b)? = json { return b }
        return false
    }

    /// The number, or NaN for other kinds.
    public var numberValue: Double {
        if case .number(let n)? = json { return n }
        return .nan
    }

    /// Calls `body` with the string's UTF-8 bytes (empty for other kinds).
    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard case .string(var string)? = json else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try string.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }

    /// Element count of an array, member count of an object, else 0.
    public var count: Int {
        switch json {
        case .array(let elements)?: return elements.count
        case .object(let members)?: return members.count
        default: return 0
        }
    }

    /// The array element at `index`, or undefined.
    public func element(at index: Int) -> JSONConditionValue {
        guard case .array(let elements)? = json, elements.indices.contains(index) else {
            return JSONConditionValue(nil)
        }
        return JSONConditionValue(elements[index])
    }

    /// The member named `key`, or undefined (also for non-objects).
    public func member(_ key: String) -> JSONConditionValue {
        JSONConditionValue(json?[key])
    }

    /// The object member at `index`: its key as a string value, and its value.
    public func member(at index: Int) -> (key: JSONConditionValue, value: JSONConditionValue) {
        guard case .object(let members)? = json, members.indices.contains(index) else {
            return (JSONConditionValue(nil), JSONConditionValue(nil))
        }
        return (JSONConditionValue(.string(members[index].key)), JSONConditionValue(members[index].value))
    }
}
