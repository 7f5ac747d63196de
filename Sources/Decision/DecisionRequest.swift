/// One decision to make: who, which slots, in what context.
public struct DecisionRequest: Sendable {
    /// The user id (a profile key; unknown ids decide as anonymous).
    public var user: String
    /// Slot ids in the order the response lists them.
    public var slots: [String]
    /// Request context.
    public var context: RequestContext
    /// Whether to add, per slot, the rules tried and what decided each.
    public var explain: Bool
    /// The decision's current time in seconds since the Unix epoch: relative-time conditions (`$olderThan`,
    /// `$within`, `count_7d`) and membership expiry are evaluated against it. NaN (the default) means no
    /// clock: relative-time tests are false and memberships never expire. Servers pass their clock's time.
    public var now: Double
    /// Whether the slots shown are recorded as exposures (`track=false`: prefetches, bots). Default true.
    public var track: Bool

    /// A request with the given parts.
    public init(
        user: String, slots: [String], context: RequestContext = RequestContext(), explain: Bool = false,
        now: Double = .nan, track: Bool = true
    ) {
        self.user = user
        self.slots = slots
        self.context = context
        self.explain = explain
        self.now = now
        self.track = track
    }
}

/// Which outcome one slot got (for metrics and cache keys); indexes into ``DecisionEngine`` tables.
public struct SlotChoice: Sendable, Equatable {
    /// Index of the slot in the bundle, or -1 for an unknown slot.
    public var slot: Int
    /// Index of the outcome in that slot's ``DecisionEngine/outcomeLabels(slot:)``.
    public var outcome: Int
    /// The segments the user was in when it was chosen (empty without personalization).
    public var segments: SegmentSet

    /// A choice of outcome `outcome` of slot `slot`.
    @inlinable
    public init(slot: Int, outcome: Int, segments: SegmentSet = SegmentSet()) {
        self.slot = slot
        self.outcome = outcome
        self.segments = segments
    }
}
