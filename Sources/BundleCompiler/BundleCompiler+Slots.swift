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
                    guard let e = experiment(exp, doc: doc, at: at + ["experiment"], templates: templates, segments: known) else {
                        continue
                    }
                    outcome = .experiment(e)
                } else {
                    guard let o = slotOutcome(item, doc: doc, at: at, templates: templates) else { continue }
                    outcome = .content(o)
                }
                var active: ActiveWindow? = nil
                if let a = item["active"] {
                    guard let window = activeWindow(a, doc: doc, at: at + ["active"]) else { continue }
                    active = window
                }
                // An experiment's own schedule is the rule's (given once).
                if let a = item["experiment"]?["active"] {
                    guard active == nil else {
                        problems.append(doc.problem(at: at + ["experiment", "active"], "give 'active' on the rule or on its experiment, not both"))
                        continue
                    }
                    guard let window = activeWindow(a, doc: doc, at: at + ["experiment", "active"]) else { continue }
                    active = window
                }
                var holdout: Double? = nil
                if let h = item["holdout"] {
                    guard case .number(let n) = h, n >= 0, n < 1 else {
                        problems.append(
                            doc.problem(at: at + ["holdout"], "'holdout' must be a share from 0 up to (not including) 1"))
                        continue
                    }
                    holdout = n > 0 ? n : nil
                }
                rules.append(
                    (
                        i,
                        SlotRule(
                            name: name, priority: priority, segments: requirement, clauses: clauses, outcome: outcome,
                            active: active, holdout: holdout)
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

    mutating func experiment(
        _ e: JSONValue, doc: YAMLDocument, at: [String], templates: [String: String], segments: Set<String>
    ) -> Experiment? {
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
        var namespace: ExperimentNamespace? = nil
        if let ns = e["namespace"] {
            guard case .array(let parts) = ns, parts.count == 3, case .string(let id) = parts[0], !id.isEmpty,
                case .number(let start) = parts[1], case .number(let end) = parts[2], start >= 0, end <= 1, start < end
            else {
                problems.append(
                    doc.problem(
                        at: at + ["namespace"], "'namespace' must be [id, start, end] with 0 <= start < end <= 1"))
                return nil
            }
            namespace = ExperimentNamespace(id: id, start: start, end: end)
        }
        var sticky: Bool? = nil
        if let st = e["sticky"] {
            guard case .bool(let b) = st else {
                problems.append(doc.problem(at: at + ["sticky"], "'sticky' must be true or false"))
                return nil
            }
            sticky = b ? true : nil
        }
        var bucketVersion: Int? = nil
        if let bv = e["bucket_version"] {
            guard case .number(let n) = bv, n >= 0, n <= 1_000_000, n == n.rounded(), let v = Int(exactly: n) else {
                problems.append(
                    doc.problem(at: at + ["bucket_version"], "'bucket_version' must be a whole number from 0 to 1000000"))
                return nil
            }
            bucketVersion = v
        }
        var bandit: BanditSettings? = nil
        if let allocation = e["allocation"] {
            guard case .string(let a) = allocation, a == "bandit" || a == "fixed" else {
                problems.append(doc.problem(at: at + ["allocation"], "'allocation' must be fixed or bandit"))
                return nil
            }
            if a == "bandit" {
                guard
                    let settings = banditSettings(
                        e["bandit"], variants: items.count, segments: segments, doc: doc, at: at + ["bandit"])
                else { return nil }
                bandit = settings
                // A bandit's users keep their arm while the weights move (unless said otherwise).
                if e["sticky"] == nil { sticky = true }
            }
        } else if e["bandit"] != nil {
            problems.append(doc.problem(at: at + ["bandit"], "'bandit' settings need 'allocation: bandit'"))
            return nil
        }
        var attributionWindow: Double? = nil
        if let w = e["attribution_window"] {
            guard case .string(let text) = w, let seconds = Timestamp.duration(text), seconds > 0, seconds <= 365 * 86_400
            else {
                problems.append(
                    doc.problem(at: at + ["attribution_window"], "'attribution_window' must be a duration such as 3d or 12h, at most 365d"))
                return nil
            }
            attributionWindow = seconds
        }
        guard variants.count == items.count else { return nil }
        var experiment = Experiment(
            key: key, variants: variants, coverage: coverage, hashVersion: hashVersion, namespace: namespace,
            sticky: sticky, bucketVersion: bucketVersion, bandit: bandit)
        experiment.attributionWindow = attributionWindow
        return experiment
    }

    /// `bandit: {metric: click|conversion, min_share: 0.01, burn_in: 100, per_segment: [ids]}` (all optional).
    mutating func banditSettings(
        _ b: JSONValue?, variants: Int, segments segmentNames: Set<String>, doc: YAMLDocument, at: [String]
    ) -> BanditSettings? {
        var settings = BanditSettings()
        guard let b else { return settings }
        guard case .object(let members) = b else {
            problems.append(doc.problem(at: at, "'bandit' must be a mapping"))
            return nil
        }
        for (key, value) in members {
            switch (key, value) {
            case ("metric", .string(let m)) where m == "click" || m == "conversion":
                settings.metric = m
            case ("min_share", .number(let n)) where n >= 0 && n * Double(variants) <= 1:
                settings.minShare = n
            case ("burn_in", .number(let n)) where n >= 0 && n <= 1_000_000_000 && n == n.rounded():
                settings.burnIn = Int(n)
            case ("per_segment", .array(let items)):
                var names: [String] = []
                for item in items {
                    guard case .string(let s) = item, segmentNames.contains(s) else {
                        problems.append(doc.problem(at: at + [key], "'per_segment' must list known segment ids"))
                        return nil
                    }
                    names.append(s)
                }
                settings.perSegment = names
            case ("metric", _):
                problems.append(doc.problem(at: at + [key], "'metric' must be click or conversion"))
                return nil
            case ("min_share", _):
                problems.append(doc.problem(at: at + [key], "'min_share' must be from 0 to 1/\(variants) (the variants' count)"))
                return nil
            case ("burn_in", _):
                problems.append(doc.problem(at: at + [key], "'burn_in' must be a whole number of exposures"))
                return nil
            default:
                problems.append(
                    doc.problem(at: at + [key], "unknown key '\(key)' (expected metric, min_share, burn_in, per_segment)"))
                return nil
            }
        }
        return settings
    }

    /// `active: {from: ISO-8601 or epoch seconds, until: ...}` (either end may be left out).
    mutating func activeWindow(_ a: JSONValue, doc: YAMLDocument, at: [String]) -> ActiveWindow? {
        guard case .object(let members) = a, !members.isEmpty else {
            problems.append(doc.problem(at: at, "'active' must be a mapping with 'from' and/or 'until'"))
            return nil
        }
        var window = ActiveWindow(from: nil, until: nil)
        for (key, value) in members {
            let t: Timestamp?
            switch value {
            case .string(let s): t = Timestamp(iso8601: s)
            case .number(let n): t = Timestamp(seconds: n)
            default: t = nil
            }
            guard let t else {
                problems.append(
                    doc.problem(at: at + [key], "'\(key)' must be an ISO-8601 time or epoch seconds (years 0001-9999)"))
                return nil
            }
            switch key {
            case "from": window.from = t.seconds
            case "until": window.until = t.seconds
            default:
                problems.append(doc.problem(at: at + [key], "unknown key '\(key)' (expected from, until)"))
                return nil
            }
        }
        if let f = window.from, let u = window.until, f >= u {
            problems.append(doc.problem(at: at, "'from' must be before 'until'"))
            return nil
        }
        return window
    }
}
