public import JSON
import Yams

/// A YAML file read into a ``JSONValue`` tree, remembering where every node started so later checks can
/// report `line:column`.
struct YAMLDocument: Sendable {
    /// The document as JSON-shaped data.
    let root: JSONValue
    /// Start position of each node, by its path from the root (see ``key(_:)``).
    let positions: [String: (line: Int, column: Int)]
    /// The file name used in problems.
    let file: String

    /// Parses `text`; a syntax error becomes a ``CompileProblem`` at its position.
    init(file: String, text: String) throws(CompileProblem) {
        self.file = file
        let node: Node?
        do {
            // The encoding named: its default reads the process environment (YAMS_DEFAULT_ENCODING) on every
            // call, 3% of a bundle compile in a profile of the bundle fuzz target.
            node = try Yams.compose(yaml: text, .default, .default, .utf8)
        } catch let error as YamlError {
            throw Self.problem(file: file, error)
        } catch {
            throw CompileProblem(file: file, line: 1, column: 1, message: "\(error)")
        }
        var positions: [String: (Int, Int)] = [:]
        guard let node else {
            self.root = .null
            self.positions = [:]
            return
        }
        self.root = try Self.convert(node, path: [], positions: &positions, file: file)
        self.positions = positions
    }

    /// The path key for a list of object keys and array indexes.
    static func key(_ path: [String]) -> String { path.joined(separator: "\u{1F}") }

    /// A problem at the node at `path` (or its nearest ancestor with a known position).
    func problem(at path: [String], _ message: String) -> CompileProblem {
        var p = path
        while true {
            if let pos = positions[Self.key(p)] {
                return CompileProblem(file: file, line: pos.line, column: pos.column, message: message)
            }
            if p.isEmpty { return CompileProblem(file: file, line: 1, column: 1, message: message) }
            p.removeLast()
        }
    }

    private static func convert(_ node: Node, path: [String], positions: inout [String: (Int, Int)], file: String)
        throws(CompileProblem) -> JSONValue
    {
        if let mark = node.mark { positions[key(path)] = (mark.line, mark.column) }
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return .bool(node.bool ?? false)
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                if let d = node.float {
                    // `.inf` and `.nan` are YAML floats but not JSON numbers; nothing downstream expects them.
                    guard d.isFinite else {
                        throw CompileProblem(
                            file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1,
                            message: "'\(scalar.string)' is not a finite number")
                    }
                    return .number(d)
                }
                if let i = node.int { return .number(Double(i)) }
                return .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let seq):
            var out: [JSONValue] = []
            for (i, child) in seq.enumerated() {
                out.append(try convert(child, path: path + [String(i)], positions: &positions, file: file))
            }
            return .array(out)
        case .mapping(let mapping):
            var out: [(key: String, value: JSONValue)] = []
            for (k, v) in mapping {
                guard case .scalar(let ks) = k else {
                    let m = k.mark
                    throw CompileProblem(
                        file: file, line: m?.line ?? 1, column: m?.column ?? 1,
                        message: "mapping keys must be plain strings")
                }
                let name = ks.string
                if out.contains(where: { $0.key == name }) {
                    let m = k.mark
                    throw CompileProblem(
                        file: file, line: m?.line ?? 1, column: m?.column ?? 1, message: "duplicate key '\(name)'")
                }
                // The key's own position is where problems about the entry point to.
                if let m = k.mark { positions[key(path + [name])] = (m.line, m.column) }
                let value = try convert(v, path: path + [name], positions: &positions, file: file)
                if let m = k.mark { positions[key(path + [name])] = (m.line, m.column) }
                out.append((name, value))
            }
            return .object(out)
        case .alias:
            let m = node.mark
            throw CompileProblem(
                file: file, line: m?.line ?? 1, column: m?.column ?? 1, message: "YAML aliases are not supported")
        }
    }

    private static func problem(file: String, _ error: YamlError) -> CompileProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return CompileProblem(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return CompileProblem(
                file: file, line: context.mark.line, column: context.mark.column,
                message: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return CompileProblem(file: file, line: 1, column: 1, message: "YAML: \(error)")
        }
    }
}
