import JSON

/// Builds a render cache key: the outcome's id, then each dependency's value with a type tag and, for
/// variable-length values, a length, so two different sets of values can never encode to the same bytes.
enum RenderKey {
    static func build(_ key: inout [UInt8], outcome: LoadedOutcome, dependencies: [RenderDependency], scope: DecisionScope) {
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
                appendBytes(scope.user, to: &key)
            }
        }
    }

    static func append(_ value: AttributeValue, to key: inout [UInt8]) {
        switch value {
        case .null: key.append(5)
        case .bool(let b): key.append(b ? 7 : 6)
        case .number(let n):
            key.append(8)
            key.appendLE(n.bitPattern)
        case .string(let s):
            key.append(9)
            key.appendLE(UInt32(s.count))
            key.append(contentsOf: s)
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
        case .number(let n):
            key.append(8)
            key.appendLE(n.bitPattern)
        case .string(let s):
            key.append(9)
            appendBytes(s, to: &key)
        case .array, .object:
            key.append(12)
            appendBytes(value.jsonText, to: &key)
        }
    }

    static func appendBytes(_ s: String, to key: inout [UInt8]) {
        key.appendLE(UInt32(s.utf8.count))
        key.append(contentsOf: s.utf8)
    }
}
