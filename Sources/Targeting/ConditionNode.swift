/// A compiled condition object: every clause must hold (GrowthBook's `evalCondition`).
///
/// Keys of the source object are either `$and`/`$or`/`$nor`/`$not` or dotted paths. Paths are numbered
/// slots into a table held by whoever evaluates the node: the `Condition` for top-level nodes (resolved
/// through the scope), or the enclosing `$elemMatch` (resolved against the array element).
struct ConditionNode: Sendable, Codable {
    var clauses: [Clause]

    /// One key of a condition object.
    indirect enum Clause: Sendable, Codable {
        /// `$and`: every condition holds.
        case and([ConditionNode])
        /// `$or`: some condition holds, or there are none.
        case or([ConditionNode])
        /// `$nor`: `$or` does not hold (so an empty `$nor` never holds, as in GrowthBook).
        case nor([ConditionNode])
        /// `$not`: the condition does not hold.
        case not(ConditionNode)
        /// A path (slot in the path table) and the test its value must pass.
        case field(slot: Int, test: ValueTest)
    }
}

/// Reads the value of a path slot while a `ConditionNode` is evaluated.
protocol SlotResolver {
    associatedtype Value: ConditionValue
    func value(slot: Int) -> Value
    /// The evaluation's current time (seconds since the epoch; NaN: none).
    var now: Double { get }
}

/// Top-level slots: through the scope, with the binder's numbers.
struct ScopeResolver<Scope: ConditionScope>: SlotResolver {
    let scope: Scope
    let bindings: [Int]
    let paths: [FieldPath]
    let now: Double

    func value(slot: Int) -> Scope.Value {
        scope.value(binding: bindings[slot], path: paths[slot])
    }
}

/// `$elemMatch` slots: paths below one array element.
struct ElementResolver<Element: ConditionValue>: SlotResolver {
    let element: Element
    let paths: [FieldPath]
    let now: Double

    func value(slot: Int) -> Element {
        paths[slot].resolve(in: element)
    }
}

extension ConditionNode {
    /// Whether every clause holds for the values `resolver` reads.
    func matches<R: SlotResolver>(_ resolver: R) -> Bool {
        for clause in clauses {
            switch clause {
            case .and(let nodes):
                for node in nodes where !node.matches(resolver) { return false }
            case .or(let nodes):
                if !ConditionNode.any(nodes, resolver) { return false }
            case .nor(let nodes):
                if ConditionNode.any(nodes, resolver) { return false }
            case .not(let node):
                if node.matches(resolver) { return false }
            case .field(let slot, let test):
                if !test.matches(resolver.value(slot: slot), now: resolver.now) { return false }
            }
        }
        return true
    }

    private static func any<R: SlotResolver>(_ nodes: [ConditionNode], _ resolver: R) -> Bool {
        if nodes.isEmpty { return true }
        for node in nodes where node.matches(resolver) { return true }
        return false
    }
}
