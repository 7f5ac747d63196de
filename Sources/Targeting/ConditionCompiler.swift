public import JSON

/// Compiles GrowthBook/MongoDB-style targeting conditions into `Condition`s.
///
/// Semantics are GrowthBook's (`mongrule.ts`), except that mistakes GrowthBook silently evaluates to
/// false are compile errors here: unknown operators, invalid regexes and malformed operands (see
/// `compileOperator`).
public enum ConditionCompiler {
    /// Compiles `source`, a condition object.
    ///
    /// `bind` is called once per distinct top-level path (e.g. `["attributes", "ltv"]`) and returns a number
    /// the scope gets back at run time. `savedGroups` are the saved groups (list segments) that exist, by
    /// name, with the number the scope knows each by (``ConditionScope/savedGroup(_:contains:)``):
    /// `$inGroup`/`$notInGroup` naming any other group are compile errors.
    public static func compile(
        _ source: JSONValue, savedGroups: [String: Int] = [:], bind: (FieldPath) -> Int
    ) throws(ConditionError) -> Condition {
        var table = PathTable()
        let root = try compileNode(source, table: &table, groups: savedGroups, at: [])
        return Condition(root: root, referencedPaths: table.paths, bindings: table.paths.map(bind))
    }

    /// Compiles `source`, numbering paths 0, 1, 2... in order of first appearance.
    public static func compile(_ source: JSONValue, savedGroups: [String: Int] = [:]) throws(ConditionError)
        -> Condition
    {
        var next = 0
        return try compile(source, savedGroups: savedGroups) { _ in
            defer { next += 1 }
            return next
        }
    }

    /// The distinct paths of one condition scope (the top level, or one `$elemMatch`), numbered in order.
    struct PathTable {
        var paths: [FieldPath] = []
        var slots: [FieldPath: Int] = [:]

        mutating func slot(for path: FieldPath) -> Int {
            if let slot = slots[path] { return slot }
            paths.append(path)
            slots[path] = paths.count - 1
            return paths.count - 1
        }
    }

    /// A condition object: `$and`/`$or`/`$nor`/`$not` or paths (any other key, `$groups` included).
    static func compileNode(
        _ source: JSONValue, table: inout PathTable, groups: [String: Int], at location: [PathElement]
    ) throws(ConditionError) -> ConditionNode {
        guard case .object(let members) = source else {
            throw ConditionError(message: "a condition must be an object", location: location)
        }
        var clauses: [ConditionNode.Clause] = []
        clauses.reserveCapacity(members.count)
        for (key, value) in members {
            let here = location + [.key(key)]
            switch key {
            case "$and", "$or", "$nor":
                guard case .array(let items) = value else {
                    throw ConditionError(message: "'\(key)' needs an array of conditions", location: here)
                }
                var nodes: [ConditionNode] = []
                for (index, item) in items.enumerated() {
                    nodes.append(try compileNode(item, table: &table, groups: groups, at: here + [.index(index)]))
                }
                clauses.append(key == "$and" ? .and(nodes) : key == "$or" ? .or(nodes) : .nor(nodes))
            case "$not":
                clauses.append(.not(try compileNode(value, table: &table, groups: groups, at: here)))
            default:
                let slot = table.slot(for: FieldPath(dotted: key))
                clauses.append(.field(slot: slot, test: try compileTest(value, groups: groups, at: here)))
            }
        }
        return ConditionNode(clauses: clauses)
    }

    /// A condition on one value: a literal, or an operator object.
    static func compileTest(
        _ source: JSONValue, groups: [String: Int], at location: [PathElement]
    ) throws(ConditionError) -> ValueTest {
        switch source {
        case .string(let string): return .string(StringLiteral(string))
        case .number(let number): return .number(number)
        case .bool(let bool): return .bool(bool)
        case .null: return .null
        case .array: return .literal(literal(source))
        case .object(let members):
            guard try isOperatorObject(members, at: location) else { return .literal(literal(source)) }
            var operators: [Operator] = []
            operators.reserveCapacity(members.count)
            for (key, value) in members {
                operators.append(try compileOperator(key, value, groups: groups, at: location + [.key(key)]))
            }
            return .operators(operators)
        }
    }

    /// Whether an object is an operator object (non-empty, every key `$`-prefixed), as GrowthBook decides.
    /// Unlike GrowthBook, a mix of operators and plain keys is an error rather than a literal that cannot match.
    static func isOperatorObject(
        _ members: [(key: String, value: JSONValue)], at location: [PathElement]
    ) throws(ConditionError) -> Bool {
        let operators = members.filter { $0.key.hasPrefix("$") }
        if operators.isEmpty { return false }
        if operators.count == members.count { return true }
        let plain = members.first { !$0.key.hasPrefix("$") }!.key
        throw ConditionError(
            message: "an operator object cannot also have the plain key '\(plain)'",
            location: location + [.key(plain)])
    }

    /// A constant for `JSON.stringify` equality.
    static func literal(_ source: JSONValue) -> Literal {
        switch source {
        case .null: return .null
        case .bool(let bool): return .bool(bool)
        case .number(let number): return .number(number)
        case .string(let string): return .string(Array(string.utf8))
        case .array(let elements): return .array(elements.map(literal))
        case .object(let members):
            var ordered: [Literal.Member] = []
            var indexed: [Literal.Member] = []
            for (key, value) in members {
                let member = Literal.Member(key: Array(key.utf8), value: literal(value))
                if member.key.withUnsafeBytes({ Literal.isIndexKey($0) }) {
                    indexed.append(member)
                } else {
                    ordered.append(member)
                }
            }
            return .object(ordered: ordered, indexed: indexed)
        }
    }
}
