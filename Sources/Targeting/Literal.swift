/// A constant compared by `JSON.stringify` equality (array and non-operator object conditions).
///
/// Object member order matters, as it does to `JSON.stringify`, except that JavaScript lists integer-like
/// keys ("0", "17") first in ascending order on both sides; so those are matched by name, the rest in order.
indirect enum Literal: Sendable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string([UInt8])
    case array([Literal])
    /// Members with ordinary keys in source order, and those with integer-like keys.
    case object(ordered: [Member], indexed: [Member])

    /// One object member.
    struct Member: Sendable, Codable {
        var key: [UInt8]
        var value: Literal
    }

    /// Whether `JSON.stringify(value) === JSON.stringify(self)`.
    func equals<V: ConditionValue>(_ value: V) -> Bool {
        switch (self, value.kind) {
        case (.null, .null), (.null, .undefined):
            return true
        case (.bool(let b), .bool):
            return value.boolValue == b
        case (.number(let n), .number):
            return value.numberValue == n
        case (.string(let bytes), .string):
            return value.withUTF8 { JSCoercion.equal($0, bytes) }
        case (.array(let elements), .array):
            guard value.count == elements.count else { return false }
            for (i, element) in elements.enumerated() where !element.equals(value.element(at: i)) { return false }
            return true
        case (.object(let ordered, let indexed), .object):
            return Literal.objectEquals(value, ordered: ordered, indexed: indexed)
        default:
            return false
        }
    }

    private static func objectEquals<V: ConditionValue>(_ value: V, ordered: [Member], indexed: [Member]) -> Bool {
        guard value.count == ordered.count + indexed.count else { return false }
        var next = 0
        for i in 0..<value.count {
            let (key, member) = value.member(at: i)
            let matched: Bool = key.withUTF8 { keyBytes in
                if Literal.isIndexKey(keyBytes) {
                    for candidate in indexed where JSCoercion.equal(keyBytes, candidate.key) {
                        return candidate.value.equals(member)
                    }
                    return false
                }
                guard next < ordered.count, JSCoercion.equal(keyBytes, ordered[next].key) else { return false }
                next += 1
                return ordered[next - 1].value.equals(member)
            }
            if !matched { return false }
        }
        return next == ordered.count
    }

    /// Whether JavaScript treats `key` as an array index (canonical, below 2^32 - 1), which sorts first.
    static func isIndexKey(_ key: UnsafeRawBufferPointer) -> Bool {
        guard !key.isEmpty, key.count <= 10 else { return false }
        if key.count > 1, key[0] == UInt8(ascii: "0") { return false }
        var value: UInt64 = 0
        for byte in key {
            guard byte >= 0x30, byte <= 0x39 else { return false }
            value = value * 10 + UInt64(byte - 0x30)
        }
        return value < 4_294_967_295
    }
}
