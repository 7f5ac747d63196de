/// One compiled `$operator` of an operator object, with its operand in ready form.
indirect enum Operator: Sendable, Codable {
    /// `$eq`: strict equality (same type and value; null also matches a missing value).
    case eq(Scalar)
    /// `$ne`: not strictly equal.
    case ne(Scalar)
    /// `$lt` `$lte` `$gt` `$gte`: JavaScript relational comparison (strings by code unit, else numbers).
    case compare(Relation, Primitive)
    /// `$exists`: the value is (true) or is not (false) present and non-null.
    case exists(Bool)
    /// `$in` (`$ini`: a case-folding set): the value, or any element of an array value, is in the set.
    case `in`(ValueSet)
    /// `$nin`: not `$in`.
    case nin(ValueSet)
    /// `$not`: the nested test fails.
    case not(ValueTest)
    /// `$size`: the value is an array whose length passes the test.
    case size(ValueTest)
    /// `$elemMatch` with an operator object: some truthy element passes the test.
    case elemMatchValue(ValueTest)
    /// `$elemMatch` with a condition: some truthy element satisfies it; paths are relative to the element.
    case elemMatchCondition(ConditionNode, paths: [FieldPath])
    /// `$all` (`$alli`: string members as ``ValueTest/foldedString(_:)``): the value is an array, and every
    /// test is passed by some element.
    case all([ValueTest])
    /// `$regex` (`$regexi`: ignoring case): the value's string form contains a match.
    case regex(CompiledRegex)
    /// `$type`: the value's GrowthBook type name.
    case type(TypeName)
    /// `$veq` ... `$vlte`: the padded version strings compare so.
    case version(Relation, [UInt8])
    /// `$olderThan: "24h"`: the value is a timestamp at least this many seconds before the evaluation's now.
    case olderThan(Double)
    /// `$within: "7d"`: the value is a timestamp no more than this many seconds before now (later ones count).
    case within(Double)
    /// `$inGroup`: the value, or any element of an array value, is an id of the saved group (list segment).
    case inGroup(SavedGroupReference)
    /// `$notInGroup`: not `$inGroup`; false too when the group no longer exists.
    case notInGroup(SavedGroupReference)
}

/// A comparison outcome test.
enum Relation: String, Sendable, Codable {
    case eq, ne, lt, lte, gt, gte

    /// Whether an ordering (-1, 0, 1) satisfies the relation.
    func holds(order: Int) -> Bool {
        switch self {
        case .eq: return order == 0
        case .ne: return order != 0
        case .lt: return order < 0
        case .lte: return order <= 0
        case .gt: return order > 0
        case .gte: return order >= 0
        }
    }

    /// Whether `a` relates to `b` so; false whenever either is NaN, as in JavaScript.
    func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .eq: return a == b
        case .ne: return a != b
        case .lt: return a < b
        case .lte: return a <= b
        case .gt: return a > b
        case .gte: return a >= b
        }
    }
}

/// A primitive operand of `$eq`/`$ne`.
enum Scalar: Sendable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string([UInt8])
}

/// A relational operand after JavaScript's ToPrimitive: a number, or a string (with its ToNumber).
enum Primitive: Sendable, Codable {
    case number(Double)
    case string([UInt8], number: Double)

    private enum CodingKeys: String, CodingKey {
        case number, string
    }

    // A string's ToNumber is NaN for most strings ("alphabet"), and JSONEncoder refuses NaN: the compiled
    // bundle could not be stored. Only the text is stored; its number is derived again when loading.
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let n = try c.decodeIfPresent(Double.self, forKey: .number) {
            self = .number(n)
        } else {
            let bytes = try c.decode([UInt8].self, forKey: .string)
            self = .string(bytes, number: bytes.withUnsafeBytes { JSNumberParser.parse($0) })
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .number(let n): try c.encode(n, forKey: .number)
        case .string(let bytes, _): try c.encode(bytes, forKey: .string)
        }
    }
}

/// The names `$type` accepts (GrowthBook's `getType`).
enum TypeName: String, Sendable, Codable, CaseIterable {
    case string, number, boolean, object, array, null, undefined
}
