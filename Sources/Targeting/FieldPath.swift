/// A dotted attribute path, split on dots (`"father.age"` is `["father", "age"]`).
public struct FieldPath: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The member names, outermost first.
    public let components: [String]

    /// A path from its components.
    public init(components: [String]) {
        self.components = components
    }

    /// Splits `dotted` on every `.`, keeping empty components as GrowthBook's `split(".")` does.
    public init(dotted: String) {
        self.components = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// The components joined with dots.
    public var description: String { components.joined(separator: ".") }

    /// The value at this path below `root`, walking it as GrowthBook's `getPath` does: object members by
    /// name, array elements by canonical index (`"0"`, `"12"`); anything else is `.undefined`.
    ///
    /// (GrowthBook also sees `length` of arrays; a view cannot make up a number, so that one is not supported.)
    public func resolve<V: ConditionValue>(in root: V) -> V {
        var current = root
        for component in components {
            current = FieldPath.step(current, component)
        }
        return current
    }

    static func step<V: ConditionValue>(_ value: V, _ component: String) -> V {
        if value.kind == .array, let index = arrayIndex(component), index < value.count {
            return value.element(at: index)
        }
        // `member` is `.undefined` for non-objects (including arrays), per the protocol.
        return value.member(component)
    }

    /// `component` as a canonical array index (no sign, no leading zeros), or nil.
    static func arrayIndex(_ component: String) -> Int? {
        var result = 0
        var digits = 0
        for byte in component.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            if digits == 1, result == 0 { return nil }
            result = result &* 10 &+ Int(byte - 0x30)
            digits += 1
            if digits > 15 { return nil }
        }
        return digits == 0 ? nil : result
    }
}
