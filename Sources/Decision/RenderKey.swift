import JSON

/// Builds a render cache key: the outcome's id, then each dependency's value with a type tag and, for
/// variable-length values, a length, so two different sets of values can never encode to the same bytes.
enum RenderKey {
    static func build(
        _ key: inout [UInt8], outcome: LoadedOutcome, dependencies: [RenderDependency], scope: DecisionScope
    ) {
        key.removeAll(keepingCapacity: true)
        key.appendLE(outcome.cacheID)
        for dependency in dependencies {
            switch dependency {
            case .attribute(let id):
                if let profile = scope.profile, let value = profile.attribute(id) {
                    append(value, to: &key)
                } else {
                    key.append(0)
                }
            case .segment(let bit):
                key.append(scope.segments.contains(bit) ? 1 : 2)
            case .context(let name):
                if let value = scope.context.value(name) { append(value, to: &key) } else { key.append(0) }
            case .user:
                key.append(4)
                appendLength(scope.user, to: &key)
            }
        }
    }

    // Tags: 0 absent, 5 null, 6 false, 7 true, 8 number, 9 string, 10 list, 12 JSON array or object text.
    // A profile value and a context value of the same JSON value encode alike.

    static func append(_ value: AttributeValue, to key: inout [UInt8]) {
        switch value {
        case .null: key.append(5)
        case .bool(let b): key.append(b ? 7 : 6)
        case .number(let n): appendNumber(n, to: &key)
        case .string(let s): appendBytes(s, to: &key)
        case .list(let list):
            key.append(10)
            key.appendLE(UInt32(list.count))
            for i in 0..<list.count { append(list.element(at: i), to: &key) }
        }
    }

    static func append(_ value: JSONValue, to key: inout [UInt8]) {
        switch value {
        case .null: key.append(5)
        case .bool(let b): key.append(b ? 7 : 6)
        case .number(let n): appendNumber(n, to: &key)
        case .string(let s):
            var s = s
            s.withUTF8 { appendBytes(UnsafeRawBufferPointer($0), to: &key) }
        case .array, .object:
            key.append(12)
            appendLength(value.jsonText, to: &key)
        }
    }

    static func appendNumber(_ n: Double, to key: inout [UInt8]) {
        key.append(8)
        key.appendLE(n.bitPattern)
    }

    /// A string value: tag, length, UTF-8 bytes.
    static func appendBytes(_ bytes: UnsafeRawBufferPointer, to key: inout [UInt8]) {
        key.append(9)
        key.appendLE(UInt32(bytes.count))
        key.append(contentsOf: bytes)
    }

    /// Length and UTF-8 bytes, no tag.
    static func appendLength(_ s: String, to key: inout [UInt8]) {
        key.appendLE(UInt32(s.utf8.count))
        key.append(contentsOf: s.utf8)
    }
}
