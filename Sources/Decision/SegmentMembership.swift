/// One explicit segment membership: assigned upstream (a model, a CDP audience) or at import, with an
/// optional score and expiry. An expired membership stops counting at decision time; no sweep is needed.
public struct SegmentMembership: Sendable, Equatable {
    /// The segment's stable id.
    public var id: UInt16
    /// The model's score, if it sent one (stored as f32).
    public var score: Double?
    /// When the membership ends, seconds since the epoch; `nil`: never.
    public var expiresAt: Double?

    /// A membership with the given parts.
    public init(id: UInt16, score: Double? = nil, expiresAt: Double? = nil) {
        self.id = id
        self.score = score
        self.expiresAt = expiresAt
    }

    /// Whether the membership counts at `now` (always when `now` is NaN: no clock).
    @inline(__always)
    public func isActive(at now: Double) -> Bool {
        guard let expiresAt else { return true }
        return !(expiresAt <= now)
    }
}
