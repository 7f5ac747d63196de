public import JSON

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

    /// Checks `value` against this type and converts it to its stored form; `nil` (JSON null) unsets.
    public func validate(_ value: JSONValue) -> Result<StoredValue, AttributeTypeMismatch> {
        switch (self, value) {
        case (_, .null): return .success(.null)
        case (.string, .string(let s)): return .success(.string(s))
        case (.number, .number(let n)): return .success(.number(n))
        case (.integer, .number(let n)) where n == n.rounded() && abs(n) < 9e15: return .success(.number(n))
        case (.boolean, .bool(let b)): return .success(.bool(b))
        case (.timestamp, .string(let s)) where Timestamp.isISO8601(s): return .success(.string(s))
        case (.stringList, .array(let elements)):
            var out: [String] = []
            for e in elements {
                guard case .string(let s) = e else { return .failure(AttributeTypeMismatch(expected: self)) }
                out.append(s)
            }
            return .success(.stringList(out))
        case (.numberList, .array(let elements)):
            var out: [Double] = []
            for e in elements {
                guard case .number(let n) = e else { return .failure(AttributeTypeMismatch(expected: self)) }
                out.append(n)
            }
            return .success(.numberList(out))
        default: return .failure(AttributeTypeMismatch(expected: self))
        }
    }
}

/// A value of the wrong type for its attribute.
public struct AttributeTypeMismatch: Error, Sendable, Equatable {
    /// The type the schema wants.
    public var expected: AttributeType
}

/// ISO-8601 timestamp checks without Foundation.
enum Timestamp {
    /// True for `YYYY-MM-DDTHH:MM:SS` followed by optional fraction and `Z` or `±HH:MM`, or a bare date.
    static func isISO8601(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func digits(_ r: Range<Int>) -> Bool {
            r.upperBound <= b.count && r.allSatisfy { b[$0] >= 0x30 && b[$0] <= 0x39 }
        }
        guard digits(0..<4), b.count >= 10, b[4] == 0x2D, digits(5..<7), b[7] == 0x2D, digits(8..<10) else {
            return false
        }
        if b.count == 10 { return true }
        guard b.count >= 20, b[10] == UInt8(ascii: "T"), digits(11..<13), b[13] == 0x3A, digits(14..<16), b[16] == 0x3A,
            digits(17..<19)
        else { return false }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            if i == start { return false }
        }
        if i == b.count - 1, b[i] == UInt8(ascii: "Z") { return true }
        return i == b.count - 6 && (b[i] == 0x2B || b[i] == 0x2D) && digits(i + 1..<i + 3) && b[i + 3] == 0x3A
            && digits(i + 4..<i + 6)
    }
}
