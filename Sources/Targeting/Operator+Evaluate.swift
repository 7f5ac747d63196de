extension Operator {
    /// Whether `value` passes this operator in `evaluation` (its clock and saved groups).
    func matches<V: ConditionValue, E: Evaluation>(_ value: V, in evaluation: E) -> Bool {
        switch self {
        case .eq(let scalar):
            return Operator.strictlyEquals(value, scalar)
        case .ne(let scalar):
            return !Operator.strictlyEquals(value, scalar)
        case .compare(let relation, let operand):
            return Operator.compare(value, relation, operand)
        case .exists(let wanted):
            return JSCoercion.isNullish(value) != wanted
        case .in(let set):
            return set.intersects(value)
        case .nin(let set):
            return !set.intersects(value)
        case .not(let test):
            return !test.matches(value, in: evaluation)
        case .size(let test):
            guard value.kind == .array else { return false }
            return test.matches(CountValue(value.count), in: evaluation)
        case .elemMatchValue(let test):
            guard value.kind == .array else { return false }
            for i in 0..<value.count {
                let element = value.element(at: i)
                if JSCoercion.isTruthy(element), test.matches(element, in: evaluation) { return true }
            }
            return false
        case .elemMatchCondition(let node, let paths):
            guard value.kind == .array else { return false }
            for i in 0..<value.count {
                let element = value.element(at: i)
                if JSCoercion.isTruthy(element),
                    node.matches(ElementResolver(element: element, paths: paths, outer: evaluation))
                {
                    return true
                }
            }
            return false
        case .all(let tests):
            guard value.kind == .array else { return false }
            let count = value.count
            outer: for test in tests {
                for i in 0..<count where test.matches(value.element(at: i), in: evaluation) { continue outer }
                return false
            }
            return true
        case .regex(let regex):
            return regex.matches(value)
        case .type(let name):
            return Operator.typeName(of: value) == name
        case .version(let relation, let expected):
            return relation.holds(order: PaddedVersion.compare(value, to: expected))
        case .olderThan(let seconds):
            let now = evaluation.now
            guard let t = Operator.instant(value), now.isFinite else { return false }
            return t <= now - seconds
        case .within(let seconds):
            let now = evaluation.now
            guard let t = Operator.instant(value), now.isFinite else { return false }
            return t >= now - seconds
        case .inGroup(let group):
            return Operator.savedGroup(group.number, holds: value, evaluation) == true
        case .notInGroup(let group):
            // A group that no longer exists makes both tests false (fail closed), not "nobody is in it".
            guard let found = Operator.savedGroup(group.number, holds: value, evaluation) else { return false }
            return !found
        }
    }

    /// GrowthBook's `isIn(value, savedGroups[id])`: the value, or for an array value any element, is in the
    /// group; `nil` when the group no longer exists.
    static func savedGroup<V: ConditionValue, E: Evaluation>(_ group: Int, holds value: V, _ evaluation: E) -> Bool? {
        guard value.kind == .array else {
            return SavedGroupMember.with(value) { evaluation.savedGroup(group, contains: $0) }
        }
        let count = value.count
        if count == 0 { return evaluation.savedGroup(group, contains: nil) }
        for i in 0..<count {
            let element = value.element(at: i)
            guard let found = SavedGroupMember.with(element, { evaluation.savedGroup(group, contains: $0) }) else {
                return nil
            }
            if found { return true }
        }
        return false
    }

    /// A timestamp value as seconds since the epoch: a number is taken as such, a string is parsed as
    /// ISO-8601; anything else (missing values included) is no instant.
    static func instant<V: ConditionValue>(_ value: V) -> Double? {
        switch value.kind {
        case .number:
            let n = value.numberValue
            return n.isFinite ? n : nil
        case .string: return value.withUTF8 { Timestamp(iso8601: $0)?.seconds }
        default: return nil
        }
    }

    private static func strictlyEquals<V: ConditionValue>(_ value: V, _ scalar: Scalar) -> Bool {
        switch (value.kind, scalar) {
        case (.null, .null), (.undefined, .null): return true
        case (.bool, .bool(let b)): return value.boolValue == b
        case (.number, .number(let n)): return value.numberValue == n
        case (.string, .string(let bytes)): return value.withUTF8 { JSCoercion.equal($0, bytes) }
        default: return false
        }
    }

    /// JavaScript's `value < operand` and friends: both sides become primitives; two strings compare by
    /// code unit, anything else as numbers.
    private static func compare<V: ConditionValue>(_ value: V, _ relation: Relation, _ operand: Primitive) -> Bool {
        let operandNumber: Double
        switch operand {
        case .number(let n):
            operandNumber = n
        case .string(let bytes, let n):
            operandNumber = n
            switch value.kind {
            case .string:
                return relation.holds(
                    order: value.withUTF8 { a in bytes.withUnsafeBytes { JSStringOrder.compare(a, $0) } })
            case .array, .object:
                let text = JSCoercion.stringBytes(value)
                let order = text.withUnsafeBytes { a in bytes.withUnsafeBytes { JSStringOrder.compare(a, $0) } }
                return relation.holds(order: order)
            default:
                break
            }
        }
        return relation.holds(JSCoercion.toNumber(value), operandNumber)
    }

    private static func typeName<V: ConditionValue>(of value: V) -> TypeName {
        switch value.kind {
        case .undefined, .null: return .null
        case .bool: return .boolean
        case .number: return .number
        case .string: return .string
        case .array: return .array
        case .object: return .object
        }
    }
}
