public import Decision
import Foundation

/// The names behind one revision's indexes: slot ids, what each outcome is, segment names by bit. Exposures
/// and tokens carry indexes; the catalog of their revision turns them into the stable names results are
/// kept under, so counts add up across revisions.
public struct OutcomeCatalog: Sendable, Codable, Equatable {
    /// One slot's id and outcomes (indexed as ``SlotChoice/outcome``).
    public struct Slot: Sendable, Codable, Equatable {
        public var id: String
        public var outcomes: [OutcomeDescription]
    }

    /// The revision.
    public var revision: UInt64
    /// Slots by index.
    public var slots: [Slot]
    /// Segment names by bit.
    public var segments: [String]

    /// The catalog of `engine`'s revision.
    public init(_ engine: DecisionEngine) {
        revision = engine.revision
        slots = engine.slotIDs.enumerated().map { i, id in Slot(id: id, outcomes: engine.outcomeDescriptions(slot: i)) }
        segments = engine.segmentNamesByBit
    }

    /// Outcome `outcome` of slot `slot`, when both exist in this revision.
    func outcome(slot: Int, outcome: Int) -> (slot: String, OutcomeDescription)? {
        guard slot >= 0, slot < slots.count, outcome >= 0, outcome < slots[slot].outcomes.count else { return nil }
        return (slots[slot].id, slots[slot].outcomes[outcome])
    }

    /// Names of the members of `set`.
    func segmentNames(_ set: SegmentSet) -> [String] {
        var names: [String] = []
        set.forEach { bit in if bit < segments.count { names.append(segments[bit]) } }
        return names
    }
}
