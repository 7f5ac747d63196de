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
    ///
    /// The resolver borrows the scope and the path tables through pointers for the evaluation: holding them by
    /// value copied the scope (and retained every reference in it) once per condition, which made
    /// retain/release the largest item of a decide profile.
    public func evaluate<S: ConditionScope>(in scope: S) -> Bool {
        withUnsafePointer(to: scope) { scope in
            bindings.withUnsafeBufferPointer { bindings in
                referencedPaths.withUnsafeBufferPointer { paths in
                    root.matches(ScopeResolver(scope: scope, bindings: bindings, paths: paths, now: scope.pointee.now))
                }
            }
        }
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
