public import JSON
public import Targeting
public import Templating

/// A compiled bundle made ready to serve: names resolved to indexes, templates to handles, segment tests
/// to bit masks. Immutable and shared by every event loop; one per revision.
public final class DecisionEngine: Sendable {
    /// The bundle revision this engine serves.
    public let revision: UInt64
    /// The bundle it was built from.
    public let bundle: CompiledBundle

    let slotIndex: [String: Int]
    let slots: [LoadedSlot]
    let segmentBitByID: [Int16]
    let segmentConditions: [Condition?]
    /// Segment names as JSON string literals (quotes included), by bit.
    let segmentNameJSON: [[UInt8]]
    let segmentNames: [String]
    let segmentBitByName: [String: Int]
    let attributeIDByName: [String: UInt16]
    let pathTargets: [PathTarget]
    /// The list segments (saved groups) the bundle's conditions test, by name.
    public let savedGroupNames: [String]

    /// Loads `bundle` for serving as revision `revision`. Fails only on a bundle this code cannot serve
    /// (a newer format, or references the compiler should have rejected).
    public init(bundle: CompiledBundle, revision: UInt64) throws(DecisionEngineError) {
        guard bundle.format <= CompiledBundle.currentFormat else {
            throw DecisionEngineError(
                "bundle format \(bundle.format) is newer than this server (\(CompiledBundle.currentFormat))")
        }
        guard bundle.segments.count <= SegmentSet.capacity else {
            throw DecisionEngineError(
                "bundle defines \(bundle.segments.count) segments; the limit is \(SegmentSet.capacity)")
        }
        self.revision = revision
        self.bundle = bundle

        var bitByName: [String: Int] = [:]
        var bitByID = [Int16](repeating: -1, count: Int(bundle.segments.map(\.id).max() ?? 0) + 1)
        for (bit, s) in bundle.segments.enumerated() {
            bitByName[s.name] = bit
            bitByID[Int(s.id)] = Int16(bit)
        }
        self.segmentBitByName = bitByName
        self.segmentBitByID = bitByID
        self.segmentConditions = bundle.segments.map(\.condition)
        var groupNames: [String] = []
        let allConditions =
            bundle.segments.compactMap(\.condition)
            + bundle.slots.flatMap { $0.rules.flatMap { $0.clauses.map(\.condition) } }
        for condition in allConditions {
            for name in condition.savedGroupNames where !groupNames.contains(name) { groupNames.append(name) }
        }
        self.savedGroupNames = groupNames
        self.segmentNames = bundle.segments.map(\.name)
        self.segmentNameJSON = bundle.segments.map { s in
            var out: [UInt8] = []
            JSONWriter.appendString(s.name, to: &out)
            return out
        }
        var attrIDs: [String: UInt16] = [:]
        for a in bundle.schema.attributes { attrIDs[a.name] = a.id }
        self.attributeIDByName = attrIDs
        var segmentIDs: [String: UInt16] = [:]
        for s in bundle.segments { segmentIDs[s.name] = s.id }
        self.pathTargets = bundle.paths.map { PathTarget(path: $0, attributes: attrIDs, segments: segmentIDs) }

        func mask(_ names: [String]) throws(DecisionEngineError) -> SegmentSet {
            var set = SegmentSet()
            for n in names {
                guard let bit = bitByName[n] else { throw DecisionEngineError("unknown segment '\(n)'") }
                set.insert(bit)
            }
            return set
        }
        var nextCacheID: UInt32 = 0
        func outcome(_ o: SlotOutcome, label: String) throws(DecisionEngineError) -> LoadedOutcome {
            guard let handle = bundle.templates.template(o.template) else {
                throw DecisionEngineError("unknown template '\(o.template)'")
            }
            nextCacheID += 1
            let dependencies = RenderDependency.of(
                names: bundle.templates.referencedNames(handle), attributes: attrIDs, segments: bitByName)
            return LoadedOutcome(
                label: label, template: handle, templateID: o.template, data: o.data, cacheID: nextCacheID,
                dependencies: dependencies)
        }
        var slots: [LoadedSlot] = []
        var index: [String: Int] = [:]
        for mapping in bundle.slots {
            var rules: [LoadedRule] = []
            for rule in mapping.rules {
                let kind: LoadedRule.Kind
                switch rule.outcome {
                case .content(let o):
                    kind = .content(try outcome(o, label: rule.name))
                case .experiment(let e):
                    var variants: [LoadedOutcome] = []
                    for v in e.variants { variants.append(try outcome(v.outcome, label: v.id)) }
                    let ranges = Bucketing.bucketRanges(
                        count: e.variants.count, coverage: e.coverage, weights: e.variants.map(\.weight))
                    kind = .experiment(
                        LoadedExperiment(
                            key: e.key, hashVersion: e.hashVersion, ranges: ranges, variants: variants,
                            namespace: e.namespace, sticky: e.sticky ?? false, bucketVersion: e.bucketVersion ?? 0,
                            bandit: e.bandit,
                            banditGroups: (e.bandit?.perSegment ?? []).compactMap { n in bitByName[n].map { (n, $0) } },
                            coverage: e.coverage, attributionWindow: e.attributionWindow))
                }
                let fallback = try outcome(mapping.fallback, label: "holdout")
                var seed = "holdout:" + mapping.id + ":" + rule.name
                if case .experiment(let e) = rule.outcome { seed = "holdout:" + e.key }
                rules.append(
                    LoadedRule(
                        name: rule.name, anyOf: try mask(rule.segments.anyOf), allOf: try mask(rule.segments.allOf),
                        noneOf: try mask(rule.segments.noneOf), clauses: rule.clauses, kind: kind, active: rule.active,
                        holdout: rule.holdout ?? 0, holdoutOutcome: (rule.holdout ?? 0) > 0 ? fallback : nil,
                        holdoutSeed: seed))
            }
            index[mapping.id] = slots.count
            slots.append(
                LoadedSlot(id: mapping.id, rules: rules, fallback: try outcome(mapping.fallback, label: "default")))
        }
        self.slots = slots
        self.slotIndex = index
    }

    /// Slot ids this engine serves, in bundle order.
    public var slotIDs: [String] { slots.map(\.id) }

    /// The labels of every outcome slot `slot` can produce (rule names, experiment variant ids, "default"),
    /// indexed as ``SlotChoice/outcome``.
    public func outcomeLabels(slot: Int) -> [String] {
        slots[slot].outcomeLabels
    }

    /// The index of slot `id`, or `nil` when the bundle has no such slot.
    @inline(__always)
    public func slot(named id: String) -> Int? { slotIndex[id] }

    /// What each outcome of slot `slot` is, indexed as ``SlotChoice/outcome`` (the same order as
    /// ``outcomeLabels(slot:)``): for measuring outcomes by stable names across revisions.
    public func outcomeDescriptions(slot: Int) -> [OutcomeDescription] {
        var out: [OutcomeDescription] = []
        for rule in slots[slot].rules {
            var experiment: String? = nil
            switch rule.kind {
            case .content(let o):
                out.append(OutcomeDescription(rule: rule.name, variant: o.label, experiment: nil, weight: nil))
            case .experiment(let e):
                experiment = e.key
                for (v, o) in e.variants.enumerated() {
                    let r = v < e.ranges.count ? e.ranges[v] : VariationRange(0, 0)
                    var d = OutcomeDescription(
                        rule: rule.name, variant: o.label, experiment: e.key, weight: max(0, r.upper - r.lower))
                    if e.sticky { d.stickyBucketVersion = e.bucketVersion }
                    d.attributionWindow = e.attributionWindow
                    if let b = e.bandit {
                        d.bandit = b
                        d.coverage = e.coverage
                    }
                    out.append(d)
                }
            }
            if rule.holdoutOutcome != nil {
                var d = OutcomeDescription(rule: rule.name, variant: "holdout", experiment: experiment, weight: nil)
                d.holdout = rule.holdout
                out.append(d)
            }
        }
        out.append(OutcomeDescription(rule: nil, variant: "default", experiment: nil, weight: nil))
        return out
    }

    /// Segment names by bit (the order of ``SegmentSet`` members).
    public var segmentNamesByBit: [String] { segmentNames }
}

/// One outcome a slot can produce, by name.
public struct OutcomeDescription: Sendable, Codable, Equatable {
    /// The rule that produces it; `nil` for the slot's default.
    public var rule: String?
    /// The variant id of an experiment, the rule's name for a content rule, "default" for the default.
    public var variant: String
    /// The experiment key when the rule is an experiment.
    public var experiment: String?
    /// The share of the experiment's traffic this variant is configured to get (its bucket range width).
    public var weight: Double?
    /// For a rule's holdout group: the share held out.
    public var holdout: Double?
    /// For a variant of a sticky experiment: the bucket version assignments are stored under.
    public var stickyBucketVersion: Int?
    /// For an experiment with its own attribution window: seconds.
    public var attributionWindow: Double?
    /// For a variant of a bandit experiment: its settings, and the experiment's coverage.
    public var bandit: BanditSettings?
    public var coverage: Double?

    /// An outcome description.
    public init(rule: String?, variant: String, experiment: String?, weight: Double?) {
        self.rule = rule
        self.variant = variant
        self.experiment = experiment
        self.weight = weight
    }
}

/// A bundle the server cannot serve.
public struct DecisionEngineError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Where a condition path reads from, resolved once at load.
enum PathTarget: Sendable {
    case attribute(UInt16, rest: [String])
    case behaviour(BehaviourPath)
    case segmentScore(UInt16)
    case segments
    case context(String, rest: [String])
    case user
    case undefined

    init(path: FieldPath, attributes: [String: UInt16], segments: [String: UInt16]) {
        let c = path.components
        if let parsed = BehaviourPath.parse(c) {
            switch parsed {
            case .success(.segmentScore(let name)):
                self = segments[name].map { .segmentScore($0) } ?? .undefined
            case .success(let p): self = .behaviour(p)
            case .failure: self = .undefined
            }
            return
        }
        switch c.first {
        case "attributes" where c.count >= 2:
            if let id = attributes[c[1]] {
                self = .attribute(id, rest: Array(c.dropFirst(2)))
            } else {
                self = .undefined
            }
        case "segments" where c.count == 1: self = .segments
        case "context" where c.count >= 2: self = .context(c[1], rest: Array(c.dropFirst(2)))
        case "user" where c.count == 1: self = .user
        default: self = .undefined
        }
    }
}

/// A slot ready to serve.
struct LoadedSlot: Sendable {
    let id: String
    let rules: [LoadedRule]
    let fallback: LoadedOutcome
    /// Index of each rule's first outcome in `outcomeLabels`.
    let ruleOutcomeOffsets: [Int]
    /// Index of the default in `outcomeLabels`.
    let defaultOutcomeIndex: Int

    init(id: String, rules: [LoadedRule], fallback: LoadedOutcome) {
        self.id = id
        self.rules = rules
        self.fallback = fallback
        var offsets: [Int] = []
        var i = 0
        for r in rules {
            offsets.append(i)
            switch r.kind {
            case .content: i += 1
            case .experiment(let e): i += e.variants.count
            }
            if r.holdoutOutcome != nil { i += 1 }
        }
        self.ruleOutcomeOffsets = offsets
        self.defaultOutcomeIndex = i
    }

    var outcomeLabels: [String] {
        var labels: [String] = []
        for r in rules {
            switch r.kind {
            case .content(let o):
                labels.append(o.label)
                if r.holdoutOutcome != nil { labels.append("\(r.name):holdout") }
            case .experiment(let e):
                labels.append(contentsOf: e.variants.map { "\(e.key):\($0.label)" })
                if r.holdoutOutcome != nil { labels.append("\(e.key):holdout") }
            }
        }
        labels.append("default")
        return labels
    }

    /// Index into `outcomeLabels` of rule `r`'s holdout group (after its variants).
    @inline(__always)
    func holdoutIndex(rule r: Int) -> Int {
        switch rules[r].kind {
        case .content: ruleOutcomeOffsets[r] + 1
        case .experiment(let e): ruleOutcomeOffsets[r] + e.variants.count
        }
    }

    /// Index into `outcomeLabels` of rule `r`'s variant `v` (0 for content rules).
    @inline(__always)
    func outcomeIndex(rule r: Int, variant v: Int) -> Int { ruleOutcomeOffsets[r] + v }
}

/// A rule ready to serve.
struct LoadedRule: Sendable {
    enum Kind: Sendable {
        case content(LoadedOutcome)
        case experiment(LoadedExperiment)
    }
    let name: String
    let anyOf: SegmentSet
    let allOf: SegmentSet
    let noneOf: SegmentSet
    let clauses: [RuleClause]
    let kind: Kind
    /// When the rule runs; `nil`: always.
    let active: ActiveWindow?
    /// Share of the audience held out (0: none).
    let holdout: Double
    /// What the holdout gets: the slot's default, labelled `holdout`; `nil` without a holdout.
    let holdoutOutcome: LoadedOutcome?
    /// The holdout's hash seed.
    let holdoutSeed: String
}

/// An experiment ready to serve.
struct LoadedExperiment: Sendable {
    let key: String
    let hashVersion: Int
    let ranges: [VariationRange]
    let variants: [LoadedOutcome]
    let namespace: ExperimentNamespace?
    let sticky: Bool
    let bucketVersion: Int
    /// Bandit settings (`nil`: fixed weights), and the segment bits of its `per_segment` groups, in order.
    let bandit: BanditSettings?
    let banditGroups: [(name: String, bit: Int)]
    let coverage: Double
    let attributionWindow: Double?
}

/// A template resolved to its handle, plus the rule data.
struct LoadedOutcome: Sendable {
    let label: String
    let template: TemplateHandle
    let templateID: String
    let data: JSONValue
    /// Identifies this outcome (template + rule data) in render cache keys.
    let cacheID: UInt32
    /// The values its template can read, or `nil` when it reads a whole root object (then it is not cached).
    let dependencies: [RenderDependency]?
}

/// One value a template's output depends on (besides the outcome's constant template and data).
enum RenderDependency: Sendable, Equatable {
    case attribute(UInt16)
    case segment(Int)
    case context(String)
    case user

    /// The dependencies of a template reading `names`, or `nil` if it reads a whole root object.
    static func of(
        names: [[String]], attributes: [String: UInt16], segments: [String: Int]
    ) -> [RenderDependency]? {
        var out: [RenderDependency] = []
        for name in names {
            guard let first = name.first else { continue }
            let dependency: RenderDependency?
            switch first {
            case "attributes", "segments", "context":
                guard name.count >= 2 else { return nil }
                switch first {
                case "attributes": dependency = attributes[name[1]].map { .attribute($0) }
                case "segments": dependency = segments[name[1]].map { .segment($0) }
                default: dependency = .context(name[1])
                }
            case "user": dependency = .user
            default: dependency = nil  // `data` is constant per outcome; other names resolve to nothing at the root.
            }
            if let dependency, !out.contains(dependency) { out.append(dependency) }
        }
        return out
    }
}
