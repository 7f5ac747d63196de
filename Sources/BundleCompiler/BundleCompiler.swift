public import Decision
import Foundation
public import JSON
import Targeting
import Templating

/// Compiles ``BundleSources`` into a ``CompiledBundle``: parses every file, compiles every template and
/// condition, checks every reference, and reports every problem with its `file:line:column`.
///
/// The one way content becomes servable: `tessera compile` and (later) CMS publishes both call it.
public struct BundleCompiler {
    /// The bundle currently live, if any: attribute and segment ids are kept stable across revisions.
    public var previous: CompiledBundle?
    /// The list segments (saved groups) that exist, name → number: what `$inGroup`, `$notInGroup` and a
    /// segment's `list:` may name.
    public var savedGroups: [String: Int] = [:]

    var problems: [CompileProblem] = []
    var paths: [FieldPath] = []
    var pathIndex: [FieldPath: Int] = [:]

    /// A compiler keeping ids stable relative to `previous`.
    public init(previous: CompiledBundle? = nil, savedGroups: [String: Int] = [:]) {
        self.previous = previous
        self.savedGroups = savedGroups
    }

    /// Compiles `sources`, or throws ``CompileProblems`` listing everything wrong. `savedGroups` are the list
    /// segments that exist (name → number).
    public static func compile(
        _ sources: BundleSources, previous: CompiledBundle? = nil, savedGroups: [String: Int] = [:]
    ) throws(CompileProblems) -> CompiledBundle {
        var compiler = BundleCompiler(previous: previous, savedGroups: savedGroups)
        return try compiler.run(sources)
    }

    mutating func run(_ sources: BundleSources) throws(CompileProblems) -> CompiledBundle {
        // Templates.
        var templates: TemplateLibrary?
        switch TemplateLibraryCache.library(sources.templates) {
        case .success(let library): templates = library
        case .failure(let error):
            for e in error.errors {
                problems.append(
                    CompileProblem(
                        file: "Templates/\(e.templateID).mustache", line: e.line, column: e.column, message: e.message))
            }
        }

        let schema = compileSchema(sources.schema)
        let segments = compileSegments(sources.segments, schema: schema)
        var slots: [SlotMapping] = []
        for file in sources.slots.keys.sorted() {
            if let slot = compileSlot(
                file: file, text: sources.slots[file]!, schema: schema, segments: segments, templates: sources.templates
            ) {
                if slots.contains(where: { $0.id == slot.id }) {
                    problems.append(
                        CompileProblem(file: file, line: 1, column: 1, message: "slot '\(slot.id)' is defined twice"))
                } else {
                    slots.append(slot)
                }
            }
        }
        guard problems.isEmpty, let templates else {
            throw CompileProblems(
                problems: problems.sorted { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) })
        }
        return CompiledBundle(schema: schema, segments: segments, slots: slots, templates: templates, paths: paths)
    }

    // MARK: - Schema

    mutating func compileSchema(_ text: String) -> ProfileSchema {
        let file = "Mappings/schema.yaml"
        guard let doc = parse(file: file, text: text) else { return ProfileSchema(attributes: []) }
        guard case .object(let attrs)? = doc.root["attributes"] else {
            problems.append(doc.problem(at: [], "expected a top-level 'attributes' mapping"))
            return ProfileSchema(attributes: [])
        }
        var nextID = (previous?.schema.attributes.map(\.id).max() ?? 0) + 1
        var out: [AttributeDefinition] = []
        for (name, spec) in attrs {
            let at = ["attributes", name]
            guard let first = name.utf8.first, Self.isIDByte(first), !(0x30...0x39).contains(first),
                name.utf8.allSatisfy(Self.isIDByte)
            else {
                problems.append(doc.problem(at: at, "attribute name '\(name)' must be letters, digits and '_'"))
                continue
            }
            let typeName: String?
            var description = ""
            switch spec {
            case .string(let t): typeName = t
            case .object:
                if case .string(let t)? = spec["type"] { typeName = t } else { typeName = nil }
                if case .string(let d)? = spec["description"] { description = d }
            default: typeName = nil
            }
            guard let typeName, let type = AttributeType(rawValue: typeName) else {
                let allowed = AttributeType.allCases.map(\.rawValue).joined(separator: ", ")
                problems.append(doc.problem(at: at + ["type"], "attribute '\(name)' needs a type, one of: \(allowed)"))
                continue
            }
            let id: UInt16
            if let old = previous?.schema.attribute(named: name) {
                id = old.id
            } else {
                id = nextID
                nextID += 1
            }
            out.append(AttributeDefinition(name: name, id: id, type: type, description: description))
        }
        return ProfileSchema(attributes: out)
    }

    // MARK: - Helpers

    mutating func parse(file: String, text: String) -> YAMLDocument? {
        switch YAMLDocumentCache.document(file: file, text: text) {
        case .success(let doc): return doc
        case .failure(let problem):
            problems.append(problem)
            return nil
        }
    }

    /// Compiles a condition, checking its paths; problems point into `doc` at `at`.
    /// Deepest condition nesting accepted (levels of objects and arrays). Deeper conditions are refused at
    /// compile time: no real targeting rule needs it, and evaluation and storage recurse per level.
    static let maxConditionDepth = 64

    mutating func condition(_ source: JSONValue, doc: YAMLDocument, at: [String], schema: ProfileSchema) -> Condition? {
        guard Self.depth(of: source, limit: Self.maxConditionDepth + 1) <= Self.maxConditionDepth else {
            problems.append(doc.problem(at: at, "condition is nested deeper than \(Self.maxConditionDepth) levels"))
            return nil
        }
        var badPaths: [String] = []
        var bound = paths
        var index = pathIndex
        do {
            let c = try ConditionCompiler.compile(source, savedGroups: savedGroups) { path in
                if let i = index[path] { return i }
                if let reason = Self.checkPath(path, schema: schema) { badPaths.append(reason) }
                index[path] = bound.count
                bound.append(path)
                return bound.count - 1
            }
            guard badPaths.isEmpty else {
                for reason in badPaths { problems.append(doc.problem(at: at, reason)) }
                return nil
            }
            paths = bound
            pathIndex = index
            return c
        } catch {
            problems.append(doc.problem(at: at + error.location.map(\.pathKey), error.message))
            for reason in badPaths { problems.append(doc.problem(at: at, reason)) }
            return nil
        }
    }

    /// Nesting depth of `value` (objects and arrays), counted up to `limit`.
    static func depth(of value: JSONValue, limit: Int) -> Int {
        guard limit > 0 else { return 0 }
        switch value {
        case .array(let items): return 1 + (items.map { depth(of: $0, limit: limit - 1) }.max() ?? 0)
        case .object(let members): return 1 + (members.map { depth(of: $0.value, limit: limit - 1) }.max() ?? 0)
        default: return 0
        }
    }

    /// ASCII letters, digits and `_`.
    static func isIDByte(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == UInt8(ascii: "_")
    }

    /// Why `path` cannot be read by a condition, or `nil` when it can.
    static func checkPath(_ path: FieldPath, schema: ProfileSchema) -> String? {
        let c = path.components
        if case .failure(let problem)? = BehaviourPath.parse(c) { return problem.message }
        if BehaviourPath.parse(c) != nil { return nil }
        switch c.first {
        case "attributes":
            guard c.count >= 2 else { return "'attributes' must name an attribute, e.g. attributes.country" }
            if schema.attribute(named: c[1]) == nil { return "unknown attribute '\(c[1])' (not in schema.yaml)" }
            return nil
        case "context":
            return c.count >= 2 ? nil : "'context' must name a parameter, e.g. context.device"
        case "segments", "user":
            return c.count == 1 ? nil : "'\(c[0])' has no members"
        default:
            return
                "unknown path '\(c.joined(separator: "."))': conditions read attributes.*, segments, context.*, user, events.*, cart.*, orders.*, activity.* and segment_scores.*"
        }
    }
}

extension PathElement {
    /// The element as a ``YAMLDocument`` path component.
    var pathKey: String {
        switch self {
        case .key(let k): return k
        case .index(let i): return String(i)
        }
    }
}
