public import JSON
public import Targeting
public import Templating

/// Everything the server needs to decide and render, compiled once from `Templates/` and `Mappings/`.
///
/// Stored in LMDB as one value per revision; the server loads it and never sees YAML or Mustache source.
public struct CompiledBundle: Sendable, Codable {
    /// Layout version of this structure; a server refuses bundles from a newer compiler.
    public static let currentFormat = 1

    /// The layout version this bundle was written with.
    public var format: Int = CompiledBundle.currentFormat
    /// Allowed profile attributes.
    public var schema: ProfileSchema
    /// Segment definitions in evaluation order (a segment comes after every segment it uses).
    public var segments: [SegmentDefinition]
    /// Slot mappings by slot id, in file-name order.
    public var slots: [SlotMapping]
    /// Every template, partials included.
    public var templates: TemplateLibrary
    /// The condition paths, indexed by the binding numbers compiled into conditions.
    public var paths: [FieldPath]

    /// A bundle with the given parts.
    public init(
        schema: ProfileSchema, segments: [SegmentDefinition], slots: [SlotMapping], templates: TemplateLibrary,
        paths: [FieldPath]
    ) {
        self.schema = schema
        self.segments = segments
        self.slots = slots
        self.templates = templates
        self.paths = paths
    }
}

/// A named segment.
public struct SegmentDefinition: Sendable, Codable {
    /// The segment id used in rules and profiles, e.g. `loyal_customer`.
    public var name: String
    /// Stable id in stored profiles; never reused for another segment.
    public var id: UInt16
    /// What the segment means.
    public var description: String
    /// The membership condition; `nil` for segments only assigned explicitly (upstream models, imports).
    public var condition: Condition?

    /// A definition with the given parts.
    public init(name: String, id: UInt16, description: String, condition: Condition?) {
        self.name = name
        self.id = id
        self.description = description
        self.condition = condition
    }
}

/// One slot's ordered rules and its default.
public struct SlotMapping: Sendable, Codable {
    /// The slot id, e.g. `home.hero`.
    public var id: String
    /// Rules sorted by descending priority, file order breaking ties.
    public var rules: [SlotRule]
    /// Shown when no rule matches (and to users without personalization consent).
    public var fallback: SlotOutcome

    /// A mapping with the given parts.
    public init(id: String, rules: [SlotRule], fallback: SlotOutcome) {
        self.id = id
        self.rules = rules
        self.fallback = fallback
    }
}

/// One rule: when the user matches, show an outcome.
public struct SlotRule: Sendable, Codable {
    /// The rule's name (reported in responses and explanations).
    public var name: String
    /// Higher runs first.
    public var priority: Double
    /// Segment tests compiled to bit masks.
    public var segments: SegmentRequirement
    /// The remaining top-level clauses of `when`, each compiled on its own so `explain` can name the one that failed.
    public var clauses: [RuleClause]
    /// What the rule shows.
    public var outcome: RuleOutcome
    /// When the rule runs (`active: {from, until}`); outside it the rule is skipped. `nil`: always.
    public var active: ActiveWindow?
    /// Share (0..<1) of the rule's audience that always gets the slot's default, measured as the rule's
    /// `holdout` group against the exposed users. `nil`: none.
    public var holdout: Double?

    /// A rule with the given parts.
    public init(
        name: String, priority: Double, segments: SegmentRequirement, clauses: [RuleClause], outcome: RuleOutcome,
        active: ActiveWindow? = nil, holdout: Double? = nil
    ) {
        self.name = name
        self.priority = priority
        self.segments = segments
        self.clauses = clauses
        self.outcome = outcome
        self.active = active
        self.holdout = holdout
    }
}

/// A time window, epoch seconds: from `from` (inclusive) until `until` (exclusive); a missing end is open.
public struct ActiveWindow: Sendable, Codable, Equatable {
    public var from: Double?
    public var until: Double?

    /// A window with the given ends.
    public init(from: Double?, until: Double?) {
        self.from = from
        self.until = until
    }

    /// Whether `now` is inside. Without a clock (NaN) a scheduled rule is not active: nothing scheduled goes
    /// live by accident.
    @inline(__always)
    public func contains(_ now: Double) -> Bool {
        guard !now.isNaN else { return false }
        if let from, now < from { return false }
        if let until, now >= until { return false }
        return true
    }
}

/// How a bandit experiment re-weights its variants.
public struct BanditSettings: Sendable, Codable, Equatable {
    /// What counts as a success: `click` (per exposure) or `conversion` (per user).
    public var metric: String
    /// Least share any variant keeps (0...1/variants). Default 0.01.
    public var minShare: Double
    /// Exposures every variant needs before the weights move off the configured ones. Default 100.
    public var burnIn: Int
    /// Separate weights for users in each of these segments (the first listed one a user is in wins); everyone
    /// else shares one set.
    public var perSegment: [String]

    /// Settings with the given parts.
    public init(metric: String = "click", minShare: Double = 0.01, burnIn: Int = 100, perSegment: [String] = []) {
        self.metric = metric
        self.minShare = minShare
        self.burnIn = burnIn
        self.perSegment = perSegment
    }
}

/// A GrowthBook namespace: users whose hash of `"__" + id` falls in `[start, end)` may enter; experiments in
/// the same namespace with disjoint ranges never share a user.
public struct ExperimentNamespace: Sendable, Codable, Equatable {
    public var id: String
    public var start: Double
    public var end: Double

    /// A namespace range.
    public init(id: String, start: Double, end: Double) {
        self.id = id
        self.start = start
        self.end = end
    }
}

/// Segment tests of a rule, by segment name: all must hold.
public struct SegmentRequirement: Sendable, Codable, Equatable {
    /// The user must be in at least one of these (when non-empty).
    public var anyOf: [String] = []
    /// The user must be in every one of these.
    public var allOf: [String] = []
    /// The user must be in none of these.
    public var noneOf: [String] = []

    /// No requirement.
    public init() {}

    /// True when there is nothing to test.
    public var isEmpty: Bool { anyOf.isEmpty && allOf.isEmpty && noneOf.isEmpty }
}

/// One top-level clause of a rule's `when`.
public struct RuleClause: Sendable, Codable {
    /// The clause's key as written, e.g. `attributes.ltv` or `$or`.
    public var key: String
    /// The clause as written (for explanations).
    public var source: JSONValue
    /// The compiled clause.
    public var condition: Condition

    /// A clause with the given parts.
    public init(key: String, source: JSONValue, condition: Condition) {
        self.key = key
        self.source = source
        self.condition = condition
    }
}

/// What a rule shows.
public enum RuleOutcome: Sendable, Codable {
    /// One template for everyone who matches.
    case content(SlotOutcome)
    /// A deterministic split between variants.
    case experiment(Experiment)
}

/// A template plus the rule's data.
public struct SlotOutcome: Sendable, Codable {
    /// Template id, e.g. `hero/vip`.
    public var template: String
    /// Rule data, visible to the template as `data`.
    public var data: JSONValue

    /// An outcome with the given parts.
    public init(template: String, data: JSONValue = .object([])) {
        self.template = template
        self.data = data
    }
}

/// A GrowthBook-compatible experiment.
public struct Experiment: Sendable, Codable {
    /// The experiment key: the hash seed and the name reported in responses.
    public var key: String
    /// The variants, in order.
    public var variants: [ExperimentVariant]
    /// Share of matching users who enter the experiment (0...1); the rest fall through to later rules.
    public var coverage: Double
    /// GrowthBook hash version (1 or 2).
    public var hashVersion: Int
    /// The namespace range the experiment takes users from; `nil`: every user.
    public var namespace: ExperimentNamespace?
    /// Whether a user keeps the variant first shown to them (sticky bucketing) while ``bucketVersion`` stays.
    public var sticky: Bool?
    /// Bumping it re-assigns every sticky user. Default 0.
    public var bucketVersion: Int?
    /// `allocation: bandit`: weights re-computed from outcomes (Thompson sampling); `nil`: fixed weights.
    public var bandit: BanditSettings?
    /// How far back a conversion by user id looks for this experiment's exposure, seconds; `nil`: the server's.
    public var attributionWindow: Double?

    /// An experiment with the given parts.
    public init(
        key: String, variants: [ExperimentVariant], coverage: Double = 1, hashVersion: Int = 2,
        namespace: ExperimentNamespace? = nil, sticky: Bool? = nil, bucketVersion: Int? = nil,
        bandit: BanditSettings? = nil
    ) {
        self.bandit = bandit
        self.key = key
        self.variants = variants
        self.coverage = coverage
        self.hashVersion = hashVersion
        self.namespace = namespace
        self.sticky = sticky
        self.bucketVersion = bucketVersion
    }
}

/// One arm of an experiment.
public struct ExperimentVariant: Sendable, Codable {
    /// Variant id reported in responses.
    public var id: String
    /// Relative weight.
    public var weight: Double
    /// What the variant shows.
    public var outcome: SlotOutcome

    /// A variant with the given parts.
    public init(id: String, weight: Double, outcome: SlotOutcome) {
        self.id = id
        self.weight = weight
        self.outcome = outcome
    }
}
