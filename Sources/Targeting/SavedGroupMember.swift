/// One id as a saved group (list segment) stores it: a type tag and the id's bytes.
///
/// GrowthBook compares a saved group's ids like `$in` does, strictly: the string "1" is not the number 1.
/// So a stored id keeps its type: ``stringTag`` and the UTF-8 text, or ``numberTag`` and the number's
/// IEEE-754 bits, big-endian (-0 stored as 0, since `-0 === 0`). Booleans, null, arrays and objects are never
/// members. The bytes are a view, valid only while the call that received the member runs.
public struct SavedGroupMember {
    /// ``stringTag`` or ``numberTag``.
    public let tag: UInt8
    /// The id's text (string) or 8 bytes (number).
    public let payload: UnsafeRawBufferPointer

    /// Tag of a string id ("s").
    public static let stringTag = UInt8(ascii: "s")
    /// Tag of a number id ("n").
    public static let numberTag = UInt8(ascii: "n")

    /// A member view over `tag` and `payload`.
    public init(tag: UInt8, payload: UnsafeRawBufferPointer) {
        self.tag = tag
        self.payload = payload
    }

    /// The stored form of string id `id`: tag, then the UTF-8 bytes.
    public static func encoded(string id: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = [stringTag]
        out.append(contentsOf: id)
        return out
    }

    /// The stored form of number id `id`: tag, then 8 big-endian bytes.
    public static func encoded(number id: Double) -> [UInt8] {
        var out: [UInt8] = [numberTag]
        withUnsafeBytes(of: bits(id).bigEndian) { out.append(contentsOf: $0) }
        return out
    }

    @inline(__always)
    static func bits(_ n: Double) -> UInt64 { n == 0 ? 0 : n.bitPattern }

    /// Calls `body` with the member form of `value`, or with `nil` when the value cannot be a member (not a
    /// string or number).
    @inline(__always)
    static func with<V: ConditionValue, R>(_ value: V, _ body: (SavedGroupMember?) -> R) -> R {
        switch value.kind {
        case .string:
            return value.withUTF8 { body(SavedGroupMember(tag: stringTag, payload: $0)) }
        case .number:
            return withUnsafeBytes(of: bits(value.numberValue).bigEndian) {
                body(SavedGroupMember(tag: numberTag, payload: $0))
            }
        default:
            return body(nil)
        }
    }
}

/// A saved group named by a condition: its name, and the number the compiler's catalog gave it.
struct SavedGroupReference: Sendable, Codable, Equatable {
    let name: String
    let number: Int
}
