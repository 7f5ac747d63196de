extension JSONValue {
    /// Decodes any JSON-shaped value from a `Decoder` (used when compiled bundles are reloaded).
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() {
                self = .null
                return
            }
            if let b = try? container.decode(Bool.self) {
                self = .bool(b)
                return
            }
            if let n = try? container.decode(Double.self) {
                self = .number(n)
                return
            }
            if let s = try? container.decode(String.self) {
                self = .string(s)
                return
            }
            if let a = try? container.decode([JSONValue].self) {
                self = .array(a)
                return
            }
        }
        let keyed = try decoder.container(keyedBy: AnyKey.self)
        // Key order is not guaranteed by every decoder; sort for determinism.
        let keys = keyed.allKeys.sorted { $0.stringValue < $1.stringValue }
        self = .object(try keys.map { ($0.stringValue, try keyed.decode(JSONValue.self, forKey: $0)) })
    }

    /// Encodes the value as the matching JSON shape.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let n):
            var c = encoder.singleValueContainer()
            try c.encode(n)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let a):
            var c = encoder.singleValueContainer()
            try c.encode(a)
        case .object(let members):
            var c = encoder.container(keyedBy: AnyKey.self)
            for m in members { try c.encode(m.value, forKey: AnyKey(m.key)) }
        }
    }
}

/// A coding key for arbitrary member names.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
