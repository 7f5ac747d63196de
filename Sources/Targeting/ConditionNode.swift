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

/// What testing a value needs besides the value: the clock and the saved groups.
protocol Evaluation {
    /// The evaluation's current time (seconds since the epoch; NaN: none).
    var now: Double { get }
    /// See ``ConditionScope/savedGroup(_:contains:)``.
    func savedGroup(_ group: Int, contains member: SavedGroupMember?) -> Bool?
}

/// No clock and no saved groups.
struct NoEvaluation: Evaluation {
    var now: Double { .nan }
    func savedGroup(_ group: Int, contains member: SavedGroupMember?) -> Bool? { nil }
}

/// Reads the value of a path slot while a `ConditionNode` is evaluated.
protocol SlotResolver: Evaluation {
    associatedtype Value: ConditionValue
    func value(slot: Int) -> Value
}

/// Top-level slots: through the scope, with the binder's numbers.
/// Valid only inside ``Condition/evaluate(in:)``, which owns what the pointers point to.
struct ScopeResolver<Scope: ConditionScope>: SlotResolver {
    let scope: UnsafePointer<Scope>
    let bindings: UnsafeBufferPointer<Int>
    let paths: UnsafeBufferPointer<FieldPath>
    let now: Double

    @inline(__always)
    func value(slot: Int) -> Scope.Value {
        Scope.value(in: scope, binding: bindings[slot], path: paths[slot])
    }

    @inline(__always)
    func savedGroup(_ group: Int, contains member: SavedGroupMember?) -> Bool? {
        Scope.savedGroup(in: scope, group, contains: member)
    }
}

/// `$elemMatch` slots: paths below one array element; clock and saved groups from the enclosing evaluation.
struct ElementResolver<Element: ConditionValue, Outer: Evaluation>: SlotResolver {
    let element: Element
    let paths: [FieldPath]
    let outer: Outer

    var now: Double { outer.now }

    func value(slot: Int) -> Element {
        paths[slot].resolve(in: element)
    }

    @inline(__always)
    func savedGroup(_ group: Int, contains member: SavedGroupMember?) -> Bool? {
        outer.savedGroup(group, contains: member)
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
                if !test.matches(resolver.value(slot: slot), in: resolver) { return false }
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

extension ConditionNode {
    /// Appends the names of the saved groups tested anywhere below this node (each once).
    func collectSavedGroups(into names: inout [String]) {
        for clause in clauses {
            switch clause {
            case .and(let nodes), .or(let nodes), .nor(let nodes):
                for node in nodes { node.collectSavedGroups(into: &names) }
            case .not(let node):
                node.collectSavedGroups(into: &names)
            case .field(_, let test):
                test.collectSavedGroups(into: &names)
            }
        }
    }
}

extension ValueTest {
    /// Appends the names of the saved groups this test (or one nested in it) reads.
    func collectSavedGroups(into names: inout [String]) {
        guard case .operators(let operators) = self else { return }
        for op in operators {
            switch op {
            case .inGroup(let group), .notInGroup(let group):
                if !names.contains(group.name) { names.append(group.name) }
            case .not(let test), .size(let test), .elemMatchValue(let test):
                test.collectSavedGroups(into: &names)
            case .elemMatchCondition(let node, _):
                node.collectSavedGroups(into: &names)
            case .all(let tests):
                for test in tests { test.collectSavedGroups(into: &names) }
            default:
                break
            }
        }
    }
}
