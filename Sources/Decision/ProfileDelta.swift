public import JSON

/// One incremental change to one user's profile from an upstream system: `{"user", "seq", "ts", "ops"}`.
///
/// Built by ``parse(_:bundle:)`` (which checks every operation against the bundle's schema and segments,
/// so an accepted delta can always be applied) and applied with ``ProfileData/apply(_:at:)``.
public struct ProfileDelta: Sendable {
    /// Most operations in one delta.
    public static let maxOperations = 256
    /// Largest `seq` accepted (2^53 - 1: every such integer is exact as a JSON number, and `seq + 1`
    /// can never overflow anywhere it is stored or compared).
    public static let maxSeq: UInt64 = 9_007_199_254_740_991

    /// `n` as a sequence number: a whole number from 1 to ``maxSeq``; `nil` otherwise.
    public static func seq(_ n: Double) -> UInt64? {
        guard n >= 1, n <= Double(maxSeq), n == n.rounded() else { return nil }  // NaN fails
        return UInt64(n)
    }

    /// Decimal digits as a sequence number (`DELETE /v1/profiles/{id}?seq=N`), with the same range.
    public static func seq(_ text: Substring) -> UInt64? {
        guard let n = UInt64(text), n >= 1, n <= maxSeq else { return nil }
        return n
    }

    /// The user id (profile key).
    public var user: String
    /// The upstream's per-user sequence number; `nil` for sources without one (CDP events, deduplicated
    /// by ``dedupeKey`` instead).
    public var seq: UInt64?
    /// When the change happened (epoch seconds); NaN: when it is applied.
    public var time: Double
    /// The operations, applied in order, all or none.
    public var operations: [Operation]
    /// A source message id; a delta whose key was already seen is a duplicate.
    public var dedupeKey: String?

    /// A delta with the given parts.
    public init(
        user: String, seq: UInt64?, time: Double = .nan, operations: [Operation], dedupeKey: String? = nil
    ) {
        self.user = user
        self.seq = seq
        self.time = time
        self.operations = operations
        self.dedupeKey = dedupeKey
    }

    /// One operation, already validated against the schema.
    public enum Operation: Sendable, Equatable {
        /// Sets attribute `id` (a `.null` value removes it).
        case set(attribute: UInt16, value: StoredValue)
        /// Removes attribute `id`.
        case unset(attribute: UInt16)
        /// Adds `by` to a number attribute (a missing one counts as 0).
        case increment(attribute: UInt16, by: Double)
        /// Appends `element` to a list attribute, then keeps only the last `max` elements.
        case append(attribute: UInt16, element: StoredValue, max: Int?)
        /// Removes every element equal to `element` from a list attribute.
        case remove(attribute: UInt16, element: StoredValue)
        /// Adds (or refreshes) a membership; `ttl` counts from the delta's time.
        case addSegment(id: UInt16, score: Double?, expiresAt: Double?, ttl: Double?)
        /// Ends a membership.
        case removeSegment(id: UInt16)
        /// A behavioural event (`time` NaN: the delta's time).
        case event(type: String, properties: JSONValue, time: Double)
        /// Records personalization consent.
        case consent(granted: Bool)
    }
}
