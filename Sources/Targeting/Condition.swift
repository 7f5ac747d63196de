/// A compiled targeting condition.
///
/// `Codable`, so it can be stored (in LMDB) and reloaded without recompiling; regexes are recompiled on
/// decoding. Evaluation reads values in place through a `ConditionScope` and allocates nothing except for
/// `$regex` and rare coercions (an array value compared with a string).
public struct Condition: Sendable, Codable {
    /// The three parts in one object: a decision reads each segment's condition out of an array, and copying a
    /// struct of three arrays out of it retained and released all three per condition evaluated.
    final class Storage: Sendable {
        let root: ConditionNode
        let referencedPaths: [FieldPath]
        let bindings: [Int]

        init(root: ConditionNode, referencedPaths: [FieldPath], bindings: [Int]) {
            self.root = root
            self.referencedPaths = referencedPaths
            self.bindings = bindings
        }
    }

    let storage: Storage

    var root: ConditionNode { storage.root }
    /// The distinct top-level paths the condition reads, in order of first appearance. Paths inside
    /// `$elemMatch` conditions are relative to an element of one of these and are not listed.
    public var referencedPaths: [FieldPath] { storage.referencedPaths }
    /// The binder's number for each of `referencedPaths`, at the same index.
    public var bindings: [Int] { storage.bindings }

    init(root: ConditionNode, referencedPaths: [FieldPath], bindings: [Int]) {
        storage = Storage(root: root, referencedPaths: referencedPaths, bindings: bindings)
    }

    // The stored form is the one the synthesized conformance wrote before `Storage`: keys root,
    // referencedPaths, bindings.
    enum CodingKeys: String, CodingKey {
        case root, referencedPaths, bindings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            root: try c.decode(ConditionNode.self, forKey: .root),
            referencedPaths: try c.decode([FieldPath].self, forKey: .referencedPaths),
            bindings: try c.decode([Int].self, forKey: .bindings))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(storage.root, forKey: .root)
        try c.encode(storage.referencedPaths, forKey: .referencedPaths)
        try c.encode(storage.bindings, forKey: .bindings)
    }

    /// Whether the condition holds for the values in `scope`.
    ///
    /// The resolver borrows the scope and the path tables through pointers for the evaluation: holding them by
    /// value copied the scope (and retained every reference in it) once per condition, which made
    /// retain/release the largest item of a decide profile.
    public func evaluate<S: ConditionScope>(in scope: S) -> Bool {
        let storage = storage
        let now = scope.now
        return withUnsafePointer(to: scope) { scope in
            storage.bindings.withUnsafeBufferPointer { bindings in
                storage.referencedPaths.withUnsafeBufferPointer { paths in
                    storage.root.matches(
                        ScopeResolver(scope: scope, bindings: bindings, paths: paths, now: now))
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
