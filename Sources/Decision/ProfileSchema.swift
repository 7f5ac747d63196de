public import JSON
import Targeting

/// The attributes a profile may hold (data minimization: nothing else is stored) and their types.
public struct ProfileSchema: Sendable, Codable, Equatable {
    /// Every allowed attribute, each with a stable id used in stored records.
    public var attributes: [AttributeDefinition]

    /// A schema with the given attributes.
    public init(attributes: [AttributeDefinition]) {
        self.attributes = attributes
    }

    /// The definition named `name`.
    public func attribute(named name: String) -> AttributeDefinition? {
        attributes.first { $0.name == name }
    }
}

/// One allowed profile attribute.
public struct AttributeDefinition: Sendable, Codable, Equatable {
    /// Name as used in conditions (`attributes.<name>`) and templates.
    public var name: String
    /// Stable id in stored records; never reused for another attribute.
    public var id: UInt16
    /// The value type.
    public var type: AttributeType
    /// What the attribute means.
    public var description: String

    /// A definition with the given parts.
    public init(name: String, id: UInt16, type: AttributeType, description: String = "") {
        self.name = name
        self.id = id
        self.type = type
        self.description = description
    }
}

/// The type of a profile attribute.
public enum AttributeType: String, Sendable, Codable, CaseIterable {
    case string
    case number
    case integer
    case boolean
    /// An ISO-8601 date-time string, e.g. `2026-11-25T10:00:00Z` (compares in time order as a string).
    case timestamp
    case stringList = "list<string>"
    case numberList = "list<number>"

    /// Longest string value (and list element) stored, in bytes.
    public static let maxStringBytes = 4096
    /// Most elements of a list attribute; `append` drops the oldest beyond it.
    public static let maxListElements = 1000

    /// Checks `value` against this type and its bounds and converts it to its stored form; `nil` (JSON
    /// null) unsets.
    public func validate(_ value: JSONValue) -> Result<StoredValue, AttributeTypeMismatch> {
        let tooLong = AttributeTypeMismatch(expected: self, limit: "strings of at most \(Self.maxStringBytes) bytes")
        switch (self, value) {
        case (_, .null): return .success(.null)
        case (.string, .string(let s)):
            return s.utf8.count <= Self.maxStringBytes ? .success(.string(s)) : .failure(tooLong)
        case (.number, .number(let n)): return .success(.number(n))
        case (.integer, .number(let n)) where n == n.rounded() && abs(n) < 9e15: return .success(.number(n))
        case (.boolean, .bool(let b)): return .success(.bool(b))
        case (.timestamp, .string(let s)) where Timestamp(iso8601: s) != nil: return .success(.string(s))
        case (.stringList, .array(let elements)), (.numberList, .array(let elements)):
            guard elements.count <= Self.maxListElements else {
                return .failure(AttributeTypeMismatch(expected: self, limit: "at most \(Self.maxListElements) elements"))
            }
            if self == .numberList {
                var out: [Double] = []
                for e in elements {
                    guard case .number(let n) = e else { return .failure(AttributeTypeMismatch(expected: self)) }
                    out.append(n)
                }
                return .success(.numberList(out))
            }
            var out: [String] = []
            for e in elements {
                guard case .string(let s) = e else { return .failure(AttributeTypeMismatch(expected: self)) }
                guard s.utf8.count <= Self.maxStringBytes else { return .failure(tooLong) }
                out.append(s)
            }
            return .success(.stringList(out))
        default: return .failure(AttributeTypeMismatch(expected: self))
        }
    }
}

/// A value of the wrong type for its attribute.
public struct AttributeTypeMismatch: Error, Sendable, Equatable {
    /// The type the schema wants.
    public var expected: AttributeType
    /// The bound the value broke, when its type was right (`at most 1000 elements`).
    public var limit: String?

    /// What the attribute takes, for messages: `list<string>` or `list<string> (at most 1000 elements)`.
    public var detail: String { expected.rawValue + (limit.map { " (\($0))" } ?? "") }

    /// A mismatch against `expected`.
    public init(expected: AttributeType, limit: String? = nil) {
        self.expected = expected
        self.limit = limit
    }
}
