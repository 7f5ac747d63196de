/// The JavaScript conversions GrowthBook's conditions rely on, applied to a `ConditionValue`.
///
/// A missing value is treated as `null` throughout: GrowthBook's path lookup returns `null` for it.
enum JSCoercion {
    /// `value == null`.
    static func isNullish<V: ConditionValue>(_ value: V) -> Bool {
        value.kind == .null || value.kind == .undefined
    }

    /// `!!value`.
    static func isTruthy<V: ConditionValue>(_ value: V) -> Bool {
        switch value.kind {
        case .undefined, .null: return false
        case .bool: return value.boolValue
        case .number:
            let n = value.numberValue
            return n != 0 && !n.isNaN
        case .string: return value.withUTF8 { !$0.isEmpty }
        case .array, .object: return true
        }
    }

    /// `value * 1`: null is 0, booleans 0/1, strings parsed, arrays via their joined text, objects NaN.
    static func toNumber<V: ConditionValue>(_ value: V) -> Double {
        switch value.kind {
        case .undefined, .null: return 0
        case .bool: return value.boolValue ? 1 : 0
        case .number: return value.numberValue
        case .string: return value.withUTF8 { JSNumberParser.parse($0) }
        case .object: return .nan
        case .array:
            // `[].join()` is "", `[x].join()` is String(x) (null → ""), and two or more elements contain a
            // comma, which no number has.
            switch value.count {
            case 0: return 0
            case 1:
                let element = value.element(at: 0)
                switch element.kind {
                case .undefined, .null: return 0
                case .bool, .object: return .nan
                default: return toNumber(element)
                }
            default: return .nan
            }
        }
    }

    /// `value + "" === literal`, without building the value's string for the usual kinds.
    static func stringEquals<V: ConditionValue>(_ value: V, _ literal: StringLiteral) -> Bool {
        switch value.kind {
        case .string: return value.withUTF8 { equal($0, literal.bytes) }
        case .number: return literal.numberSpelled == value.numberValue
        case .undefined, .null: return literal.bytes.elementsEqual("null".utf8)
        case .bool: return literal.bytes.elementsEqual(value.boolValue ? "true".utf8 : "false".utf8)
        case .object: return literal.bytes.elementsEqual("[object Object]".utf8)
        case .array: return stringBytes(value) == literal.bytes
        }
    }

    /// `String(value)` as UTF-8 (allocates; for arrays, regexes and other rare paths).
    static func stringBytes<V: ConditionValue>(_ value: V) -> [UInt8] {
        var out: [UInt8] = []
        appendString(value, to: &out)
        return out
    }

    private static func appendString<V: ConditionValue>(_ value: V, to out: inout [UInt8]) {
        switch value.kind {
        case .undefined, .null: out += "null".utf8
        case .bool: out += value.boolValue ? "true".utf8 : "false".utf8
        case .number: out += JSNumberFormat.string(value.numberValue).utf8
        case .string: value.withUTF8 { out += $0 }
        case .object: out += "[object Object]".utf8
        case .array:
            for i in 0..<value.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                let element = value.element(at: i)
                if !isNullish(element) { appendString(element, to: &out) }
            }
        }
    }

    /// Byte equality of a view and a constant.
    static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return b.withUnsafeBytes { $0.elementsEqual(a) }
    }
}
