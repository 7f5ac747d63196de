public import JSON

/// Renders owned JSON: objects are object-like, arrays are lists, `null`/`false`/`[]` are falsey.
extension JSONValue: RenderValue {
    /// The object member `name`, or nil for a missing member or a non-object.
    public func member(_ name: String) -> JSONValue? {
        self[name]
    }

    /// `null`, `false` and `[]` are falsey; everything else (including `""` and `0`) is truthy.
    public var isFalsey: Bool {
        switch self {
        case .null: true
        case .bool(let value): !value
        case .array(let elements): elements.isEmpty
        default: false
        }
    }

    /// The element count of an array, nil otherwise.
    public var listCount: Int? {
        if case .array(let elements) = self { elements.count } else { nil }
    }

    /// Element `index` of an array (`.null` for a non-array).
    public func element(at index: Int) -> JSONValue {
        if case .array(let elements) = self { elements[index] } else { .null }
    }

    /// Strings as-is, numbers as JavaScript prints them (`1.0` -> `1`), booleans as `true`/`false`,
    /// null as nothing, arrays and objects as compact JSON.
    public func appendText(to out: inout [UInt8]) {
        switch self {
        case .null: break
        case .bool(let value):
            out.append(contentsOf: value ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .number(let value): JSONWriter.appendNumber(value, to: &out)
        case .string(let value): out.append(contentsOf: value.utf8)
        case .array, .object: JSONWriter.append(self, to: &out)
        }
    }
}
