/// A compiled condition on one value (GrowthBook's `evalConditionValue`).
indirect enum ValueTest: Sendable, Codable {
    /// A string literal: `value + "" === literal` (so `8` matches `"8"`, and `null` matches `"null"`).
    case string(StringLiteral)
    /// A string in `$alli`: `String(value).toLowerCase() === literal.toLowerCase()` (held lowercased).
    case foldedString([UInt8])
    /// A number literal: `value * 1 === literal` (so `"8"` matches `8`, and a missing value matches `0`).
    case number(Double)
    /// A boolean literal: the value is not null and its truthiness is `literal`.
    case bool(Bool)
    /// `null`: the value is null or missing.
    case null
    /// An array or a non-operator object: `JSON.stringify` equality, member order included.
    case literal(Literal)
    /// An operator object: every operator holds.
    case operators([Operator])

    /// Whether `value` passes (no clock, no saved groups).
    func matches<V: ConditionValue>(_ value: V) -> Bool {
        matches(value, in: NoEvaluation())
    }

    /// Whether `value` passes in `evaluation`.
    func matches<V: ConditionValue, E: Evaluation>(_ value: V, in evaluation: E) -> Bool {
        switch self {
        case .string(let literal):
            return JSCoercion.stringEquals(value, literal)
        case .foldedString(let folded):
            if value.kind == .string { return value.withUTF8 { JSCaseFolding.foldedEquals($0, folded) } }
            return JSCoercion.stringBytes(value).withUnsafeBytes { JSCaseFolding.foldedEquals($0, folded) }
        case .number(let number):
            return JSCoercion.toNumber(value) == number
        case .bool(let bool):
            return !JSCoercion.isNullish(value) && JSCoercion.isTruthy(value) == bool
        case .null:
            return JSCoercion.isNullish(value)
        case .literal(let literal):
            return literal.equals(value)
        case .operators(let operators):
            for op in operators where !op.matches(value, in: evaluation) { return false }
            return true
        }
    }
}

/// A string constant, with the number whose JavaScript spelling it is (if any) for comparing numbers.
struct StringLiteral: Sendable, Codable {
    var bytes: [UInt8]
    /// `n` such that `String(n) === bytes` in JavaScript, e.g. 8 for `"8"` (nil for `"08"` or `"8.0"`).
    var numberSpelled: Double?

    init(_ string: String) {
        bytes = Array(string.utf8)
        let number = bytes.withUnsafeBytes { JSNumberParser.parse($0) }
        numberSpelled = !number.isNaN && JSNumberFormat.string(number) == string ? number : nil
    }
}
