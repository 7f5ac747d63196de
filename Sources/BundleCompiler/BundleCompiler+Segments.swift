import Decision
import Foundation
import JSON
import Targeting

extension BundleCompiler {
    /// Compiles `segments.yaml` into definitions ordered so every segment follows the segments it uses.
    mutating func compileSegments(_ text: String, schema: ProfileSchema) -> [SegmentDefinition] {
        let file = "Mappings/segments.yaml"
        guard let doc = parse(file: file, text: text) else { return [] }
        guard case .object(let entries)? = doc.root["segments"] else {
            problems.append(doc.problem(at: [], "expected a top-level 'segments' mapping"))
            return []
        }
        let names = Set(entries.map(\.key))
        var nextID = (previous?.segments.map(\.id).max() ?? 0) + 1
        var defs: [String: SegmentDefinition] = [:]
        var uses: [String: [String]] = [:]
        var order: [String] = []
        for (name, spec) in entries {
            let at = ["segments", name]
            guard !name.isEmpty,
                name.utf8.allSatisfy({
                    Self.isIDByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-")
                })
            else {
                problems.append(doc.problem(at: at, "segment id '\(name)' may use letters, digits and _ . : - only"))
                continue
            }
            var description = ""
            if case .string(let d)? = spec["description"] { description = d }
            var condition: Condition?
            if let list = spec["list"] {
                // `list: vip_list` is a segment whose members are the list's ids: `{"user": {"$inGroup": ...}}`.
                guard case .string(let listName) = list else {
                    problems.append(doc.problem(at: at + ["list"], "'list' needs the name of a list segment"))
                    continue
                }
                if spec["when"] != nil {
                    problems.append(doc.problem(at: at + ["list"], "segment '\(name)' has both 'list' and 'when'"))
                }
                if savedGroups[listName] == nil {
                    problems.append(
                        doc.problem(
                            at: at + ["list"],
                            "no list segment named '\(listName)': import it first (`tessera lists import \(listName) FILE`)"
                        ))
                } else {
                    condition = self.condition(
                        .object([("user", .object([("$inGroup", .string(listName))]))]), doc: doc, at: at + ["list"],
                        schema: schema)
                }
            } else if let when = spec["when"] {
                let used = Self.segmentsUsed(by: when)
                for u in used where !names.contains(u) {
                    problems.append(doc.problem(at: at + ["when"], "segment '\(name)' uses unknown segment '\(u)'"))
                }
                uses[name] = used
                condition = self.condition(when, doc: doc, at: at + ["when"], schema: schema)
            } else if spec["assigned"] != .bool(true) {
                problems.append(
                    doc.problem(
                        at: at,
                        "segment '\(name)' needs a 'when' condition, a 'list', or 'assigned: true' if upstream assigns it"
                    ))
            }
            let id: UInt16
            if let old = previous?.segments.first(where: { $0.name == name }) {
                id = old.id
            } else {
                id = nextID
                nextID += 1
            }
            defs[name] = SegmentDefinition(name: name, id: id, description: description, condition: condition)
            order.append(name)
        }
        if order.count > SegmentSet.capacity {
            problems.append(
                doc.problem(at: ["segments"], "\(order.count) segments defined; the limit is \(SegmentSet.capacity)"))
        }
        // Depth-first topological order; a back edge is a cycle.
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var sorted: [SegmentDefinition] = []
        func visit(_ n: String, _ stack: [String]) {
            if state[n] == 2 { return }
            if state[n] == 1 {
                let cycle = (stack.drop { $0 != n } + [n]).joined(separator: " -> ")
                problems.append(doc.problem(at: ["segments", n], "segments form a cycle: \(cycle)"))
                return
            }
            state[n] = 1
            for u in uses[n] ?? [] where defs[u] != nil { visit(u, stack + [n]) }
            state[n] = 2
            if let d = defs[n] { sorted.append(d) }
        }
        for n in order { visit(n, []) }
        return sorted
    }

    /// Segment ids named as string operands anywhere under a `segments` key of `condition`.
    static func segmentsUsed(by condition: JSONValue) -> [String] {
        var out: [String] = []
        func strings(_ v: JSONValue) {
            switch v {
            case .string(let s): if !out.contains(s) { out.append(s) }
            case .array(let a): a.forEach(strings)
            case .object(let members): members.forEach { strings($0.value) }
            default: break
            }
        }
        func walk(_ v: JSONValue) {
            switch v {
            case .object(let members):
                for (k, val) in members { if k == "segments" { strings(val) } else { walk(val) } }
            case .array(let a): a.forEach(walk)
            default: break
            }
        }
        walk(condition)
        return out
    }
}
