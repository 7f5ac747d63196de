import JSON

extension ConditionCompiler {
    /// One `$operator` and its operand.
    ///
    /// Operands GrowthBook would accept but that can never do anything useful are compile errors:
    /// `$in`/`$nin`/`$all` and their case-insensitive forms need arrays (`$in`/`$nin` members must be
    /// primitives), `$eq`/`$ne` and the relational operators need primitives, `$size` a number or operator
    /// object, `$elemMatch` an object, `$regex`/`$regexi` a valid pattern, `$type` a known type name,
    /// `$exists` a boolean, version operators a string or number, `$inGroup`/`$notInGroup` the name of a
    /// saved group in `groups`.
    static func compileOperator(
        _ name: String, _ operand: JSONValue, groups: [String: Int], at location: [PathElement]
    ) throws(ConditionError) -> Operator {
        func fail(_ message: String) -> ConditionError { ConditionError(message: message, location: location) }

        switch name {
        case "$eq", "$ne":
            let scalar: Scalar
            switch operand {
            case .null: scalar = .null
            case .bool(let b): scalar = .bool(b)
            case .number(let n): scalar = .number(n)
            case .string(let s): scalar = .string(Array(s.utf8))
            case .array, .object:
                throw fail("'\(name)' needs a string, number, boolean or null (arrays and objects never compare equal)")
            }
            return name == "$eq" ? .eq(scalar) : .ne(scalar)

        case "$lt", "$lte", "$gt", "$gte":
            let relation = Relation(rawValue: String(name.dropFirst()))!
            switch operand {
            case .null: return .compare(relation, .number(0))
            case .bool(let b): return .compare(relation, .number(b ? 1 : 0))
            case .number(let n): return .compare(relation, .number(n))
            case .string(let s):
                let bytes = Array(s.utf8)
                return .compare(relation, .string(bytes, number: bytes.withUnsafeBytes { JSNumberParser.parse($0) }))
            case .array, .object:
                throw fail("'\(name)' needs a number or a string")
            }

        case "$exists":
            guard case .bool(let wanted) = operand else { throw fail("'$exists' needs true or false") }
            return .exists(wanted)

        case "$in", "$nin", "$ini", "$nini":
            guard case .array(let elements) = operand else { throw fail("'\(name)' needs an array") }
            var strings: [String] = []
            var numbers: [Double] = []
            var bools: [Bool] = []
            var hasNull = false
            for (index, element) in elements.enumerated() {
                switch element {
                case .string(let s): strings.append(s)
                case .number(let n): numbers.append(n)
                case .bool(let b): bools.append(b)
                case .null: hasNull = true
                case .array, .object:
                    throw ConditionError(
                        message: "'\(name)' members must be strings, numbers, booleans or null",
                        location: location + [.index(index)])
                }
            }
            let folds = name.hasSuffix("i")
            let set = ValueSet(strings: strings, numbers: numbers, bools: bools, hasNull: hasNull, foldsCase: folds)
            return name == "$in" || name == "$ini" ? .in(set) : .nin(set)

        case "$not":
            return .not(try compileTest(operand, groups: groups, at: location))

        case "$size":
            switch operand {
            case .number(let n):
                return .size(.number(n))
            case .object(let members) where try isOperatorObject(members, at: location):
                return .size(try compileTest(operand, groups: groups, at: location))
            default:
                throw fail("'$size' needs a number or an operator object such as {\"$gt\": 2}")
            }

        case "$elemMatch":
            guard case .object(let members) = operand else {
                throw fail("'$elemMatch' needs an operator object or a condition")
            }
            if try isOperatorObject(members, at: location) {
                return .elemMatchValue(try compileTest(operand, groups: groups, at: location))
            }
            var table = PathTable()
            let node = try compileNode(operand, table: &table, groups: groups, at: location)
            return .elemMatchCondition(node, paths: table.paths)

        case "$all", "$alli":
            guard case .array(let elements) = operand else { throw fail("'\(name)' needs an array") }
            var tests: [ValueTest] = []
            for (index, element) in elements.enumerated() {
                // GrowthBook's `isInAll(..., insensitive)` folds case only where a member is a string.
                if name == "$alli", case .string(let s) = element {
                    tests.append(.foldedString(JSCaseFolding.lowercased(s)))
                } else {
                    tests.append(try compileTest(element, groups: groups, at: location + [.index(index)]))
                }
            }
            return .all(tests)

        case "$regex", "$regexi":
            guard case .string(let pattern) = operand else { throw fail("'\(name)' needs a string pattern") }
            do {
                return .regex(try CompiledRegex(pattern: pattern, ignoresCase: name == "$regexi"))
            } catch {
                throw fail("invalid regex '\(pattern)': \(error.description)")
            }

        case "$inGroup", "$notInGroup":
            guard case .string(let group) = operand else {
                throw fail("'\(name)' needs the name of a saved group (list segment)")
            }
            guard let number = groups[group] else {
                throw fail("no saved group (list segment) named '\(group)': import it first (`tessera lists import`)")
            }
            let reference = SavedGroupReference(name: group, number: number)
            return name == "$inGroup" ? .inGroup(reference) : .notInGroup(reference)

        case "$type":
            guard case .string(let typeName) = operand, let type = TypeName(rawValue: typeName) else {
                let names = TypeName.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                throw fail("'$type' needs one of \(names)")
            }
            return .type(type)

        case "$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte":
            let relation = Relation(rawValue: String(name.dropFirst(2)))!
            switch operand {
            case .string(let s): return .version(relation, PaddedVersion.padded(string: s))
            case .number(let n): return .version(relation, PaddedVersion.padded(string: JSNumberFormat.string(n)))
            default: throw fail("'\(name)' needs a version string")
            }

        case "$olderThan", "$within":
            guard case .string(let text) = operand, let seconds = Timestamp.duration(text) else {
                throw fail("'\(name)' needs a duration such as \"90s\", \"15m\", \"24h\", \"7d\" or \"2w\"")
            }
            return name == "$olderThan" ? .olderThan(seconds) : .within(seconds)

        default:
            throw fail("unknown operator '\(name)'")
        }
    }
}
