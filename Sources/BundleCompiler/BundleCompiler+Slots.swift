import Decision
import JSON
import Targeting

extension BundleCompiler {
    /// Compiles one slot file; returns `nil` (with problems recorded) when it has errors.
    mutating func compileSlot(
        file: String, text: String, schema: ProfileSchema, segments: [SegmentDefinition], templates: [String: String]
    ) -> SlotMapping? {
        guard let doc = parse(file: file, text: text) else { return nil }
        let before = problems.count
        guard case .string(let slotID)? = doc.root["slot"], !slotID.isEmpty else {
            problems.append(doc.problem(at: [], "expected 'slot: <slot id>' at the top"))
            return nil
        }
        let known = Set(segments.map(\.name))
        var rules: [(order: Int, rule: SlotRule)] = []
        var ruleNames: Set<String> = []
        if let list = doc.root["rules"] {
            guard case .array(let items) = list else {
                problems.append(doc.problem(at: ["rules"], "'rules' must be a list"))
                return nil
            }
            for (i, item) in items.enumerated() {
                let at = ["rules", String(i)]
                guard case .string(let name)? = item["name"], !name.isEmpty else {
                    problems.append(doc.problem(at: at, "every rule needs a 'name'"))
                    continue
                }
                if !ruleNames.insert(name).inserted {
                    problems.append(doc.problem(at: at + ["name"], "rule name '\(name)' is used twice in this slot"))
                }
                var priority = 0.0
                if let p = item["priority"] {
                    guard case .number(let n) = p else {
                        problems.append(doc.problem(at: at + ["priority"], "'priority' must be a number"))
                        continue
                    }
                    priority = n
                }
                var requirement = SegmentRequirement()
                var clauses: [RuleClause] = []
                if let seg = item["segment"] {
                    guard case .string(let s) = seg else {
                        problems.append(doc.problem(at: at + ["segment"], "'segment' must be one segment id"))
                        continue
                    }
                    if !known.contains(s) {
                        problems.append(doc.problem(at: at + ["segment"], "unknown segment '\(s)'"))
                    }
                    requirement.anyOf.append(s)
                }
                if let when = item["when"] {
                    guard case .object(let members) = when else {
                        problems.append(doc.problem(at: at + ["when"], "'when' must be a mapping of conditions"))
                        continue
                    }
                    for (key, value) in members {
                        let clauseAt = at + ["when", key]
                        if key == "segments", let masks = Self.segmentMasks(value) {
                            for s in masks.anyOf + masks.allOf + masks.noneOf where !known.contains(s) {
                                problems.append(doc.problem(at: clauseAt, "unknown segment '\(s)'"))
                            }
                            requirement.anyOf += masks.anyOf
                            requirement.allOf += masks.allOf
                            requirement.noneOf += masks.noneOf
                            continue
                        }
                        if key == "segments" {
                            for s in Self.segmentsUsed(by: .object([(key, value)])) where !known.contains(s) {
                                problems.append(doc.problem(at: clauseAt, "unknown segment '\(s)'"))
                            }
                        }
                        let source = JSONValue.object([(key, value)])
                        if let c = condition(source, doc: doc, at: at + ["when"], schema: schema) {
                            clauses.append(RuleClause(key: key, source: value, condition: c))
                        }
                    }
                }
                let outcome: RuleOutcome
                if let exp = item["experiment"] {
                    guard let e = experiment(exp, doc: doc, at: at + ["experiment"], templates: templates) else {
                        continue
                    }
                    outcome = .experiment(e)
                } else {
                    guard let o = slotOutcome(item, doc: doc, at: at, templates: templates) else { continue }
                    outcome = .content(o)
                }
                rules.append(
                    (
                        i,
                        SlotRule(
                            name: name, priority: priority, segments: requirement, clauses: clauses, outcome: outcome)
                    ))
            }
        }
        guard let d = doc.root["default"] else {
            problems.append(doc.problem(at: [], "slot '\(slotID)' needs a 'default: { template: ... }'"))
            return nil
        }
        guard let fallback = slotOutcome(d, doc: doc, at: ["default"], templates: templates) else { return nil }
        guard problems.count == before else { return nil }
        let ordered = rules.sorted {
            $0.rule.priority != $1.rule.priority ? $0.rule.priority > $1.rule.priority : $0.order < $1.order
        }
        return SlotMapping(id: slotID, rules: ordered.map(\.rule), fallback: fallback)
    }

    /// `{ $in: [...] }`, `{ $all: [...] }`, `{ $nin: [...] }` (or a mix) of constant ids as bit-mask tests;
    /// `nil` for any other form, which is compiled as a general condition instead.
    static func segmentMasks(_ value: JSONValue) -> SegmentRequirement? {
        guard case .object(let ops) = value, !ops.isEmpty else { return nil }
        var r = SegmentRequirement()
        for (op, operand) in ops {
            guard case .array(let items) = operand, !items.isEmpty else { return nil }
            var names: [String] = []
            for item in items {
                guard case .string(let s) = item else { return nil }
                names.append(s)
            }
            switch op {
            case "$in": r.anyOf += names
            case "$all": r.allOf += names
            case "$nin": r.noneOf += names
            default: return nil
            }
        }
        return r
    }

    mutating func slotOutcome(_ item: JSONValue, doc: YAMLDocument, at: [String], templates: [String: String])
        -> SlotOutcome?
    {
        guard case .string(let template)? = item["template"] else {
            problems.append(doc.problem(at: at, "needs 'template: <template id>' (or an 'experiment')"))
            return nil
        }
        guard templates[template] != nil else {
            problems.append(
                doc.problem(at: at + ["template"], "unknown template '\(template)' (no Templates/\(template).mustache)")
            )
            return nil
        }
        let data = item["data"] ?? .object([])
        guard case .object = data else {
            problems.append(doc.problem(at: at + ["data"], "'data' must be a mapping"))
            return nil
        }
        return SlotOutcome(template: template, data: data)
    }

    mutating func experiment(_ e: JSONValue, doc: YAMLDocument, at: [String], templates: [String: String])
        -> Experiment?
    {
        guard case .string(let key)? = e["key"], !key.isEmpty else {
            problems.append(doc.problem(at: at, "an experiment needs a 'key'"))
            return nil
        }
        guard case .array(let items)? = e["variants"], items.count >= 2 else {
            problems.append(doc.problem(at: at + ["variants"], "an experiment needs at least two 'variants'"))
            return nil
        }
        var variants: [ExperimentVariant] = []
        var total = 0.0
        for (i, v) in items.enumerated() {
            let vat = at + ["variants", String(i)]
            guard case .string(let id)? = v["id"] else {
                problems.append(doc.problem(at: vat, "every variant needs an 'id'"))
                continue
            }
            var weight = 1.0 / Double(items.count)
            if let w = v["weight"] {
                guard case .number(let n) = w, n >= 0, n <= 1 else {
                    problems.append(doc.problem(at: vat + ["weight"], "'weight' must be a number between 0 and 1"))
                    continue
                }
                weight = n
            }
            total += weight
            guard let outcome = slotOutcome(v, doc: doc, at: vat, templates: templates) else { continue }
            variants.append(ExperimentVariant(id: id, weight: weight, outcome: outcome))
        }
        if abs(total - 1) > 0.001 {
            problems.append(
                doc.problem(at: at + ["variants"], "variant weights add up to \(total); they must add up to 1"))
        }
        var coverage = 1.0
        if let c = e["coverage"] {
            guard case .number(let n) = c, n >= 0, n <= 1 else {
                problems.append(doc.problem(at: at + ["coverage"], "'coverage' must be a number between 0 and 1"))
                return nil
            }
            coverage = n
        }
        var hashVersion = 2
        if let h = e["hash_version"] {
            guard case .number(let n) = h, n == 1 || n == 2 else {
                problems.append(doc.problem(at: at + ["hash_version"], "'hash_version' must be 1 or 2"))
                return nil
            }
            hashVersion = Int(n)
        }
        guard variants.count == items.count else { return nil }
        return Experiment(key: key, variants: variants, coverage: coverage, hashVersion: hashVersion)
    }
}
