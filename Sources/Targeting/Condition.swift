/// A compiled targeting condition.
///
/// `Codable`, so it can be stored (in LMDB) and reloaded without recompiling; regexes are recompiled on
/// decoding. Evaluation reads values in place through a `ConditionScope` and allocates nothing except for
/// `$regex` and rare coercions (an array value compared with a string).
public struct Condition: Sendable, Codable {
    let root: ConditionNode
    /// The distinct top-level paths the condition reads, in order of first appearance. Paths inside
    /// `$elemMatch` conditions are relative to an element of one of these and are not listed.
    public let referencedPaths: [FieldPath]
    /// The binder's number for each of `referencedPaths`, at the same index.
    public let bindings: [Int]

    init(root: ConditionNode, referencedPaths: [FieldPath], bindings: [Int]) {
        self.root = root
        self.referencedPaths = referencedPaths
        self.bindings = bindings
    }

    /// Whether the condition holds for the values in `scope`.
    public func evaluate<S: ConditionScope>(in scope: S) -> Bool {
        root.matches(ScopeResolver(scope: scope, bindings: bindings, paths: referencedPaths, now: scope.now))
    }

    /// The names of the saved groups (list segments) the condition tests, in order of first appearance.
    public var savedGroupNames: [String] {
        var names: [String] = []
        root.collectSavedGroups(into: &names)
        return names
    }

    /// The same condition with its paths bound anew (e.g. after reloading, when path numbering changed).
    public func rebinding(_ bind: (FieldPath) -> Int) -> Condition {
        Condition(root: root, referencedPaths: referencedPaths, bindings: referencedPaths.map(bind))
    }
}
