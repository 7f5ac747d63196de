public import Decision

/// What the store did with one delta.
public enum DeltaOutcome: Sendable, Equatable {
    /// Committed. `previousSeq` is the seq stored before (0: none); `gap` is true when seqs between the two
    /// were never seen (accepted, reported so the upstream can check).
    case applied(previousSeq: UInt64, gap: Bool)
    /// Already applied (its `seq` is at or below the stored one, or its message id was seen): nothing changed.
    case duplicate(storedSeq: UInt64)
    /// Not applicable to the stored profile: nothing changed.
    case rejected(ProfileInput.Rejection)
}

/// What an erasure did.
public struct ErasureOutcome: Sendable, Equatable {
    /// Whether a profile was stored (and is now gone).
    public var existed: Bool
    /// The seq the tombstone holds: deltas at or below it are duplicates from now on.
    public var tombstoneSeq: UInt64
}
