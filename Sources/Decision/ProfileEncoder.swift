import Targeting
/// One attribute value ready to be encoded, already checked against the schema.
public enum StoredValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case numberList([Double])
    case stringList([String])
}

/// A profile in owned form, as written by import and by deltas. Encoded with ``encode()``.
public struct ProfileData: Sendable, Equatable {
    /// Profile version, bumped on every write.
    public var version: UInt64
    /// The last applied delta `seq` (0: none); deltas at or below it are duplicates.
    public var seq: UInt64 = 0
    /// Personalization consent: `nil` when never recorded.
    public var consent: Bool?
    /// Explicit segment memberships (one per segment id).
    public var memberships: [SegmentMembership]
    /// Attribute values by attribute id.
    public var attributes: [(id: UInt16, value: StoredValue)]
    /// Behavioural state from events.
    public var behaviour = BehaviourState()

    /// A profile with the given parts (memberships without score or expiry).
    public init(version: UInt64, consent: Bool?, segmentIDs: [UInt16], attributes: [(id: UInt16, value: StoredValue)]) {
        self.version = version
        self.consent = consent
        self.memberships = segmentIDs.map { SegmentMembership(id: $0) }
        self.attributes = attributes
    }

    /// Explicit segment ids.
    public var segmentIDs: [UInt16] {
        get { memberships.map(\.id) }
        set { memberships = newValue.map { SegmentMembership(id: $0) } }
    }

    public static func == (lhs: ProfileData, rhs: ProfileData) -> Bool {
        lhs.version == rhs.version && lhs.seq == rhs.seq && lhs.consent == rhs.consent
            && lhs.memberships == rhs.memberships && lhs.behaviour == rhs.behaviour
            && lhs.attributes.elementsEqual(rhs.attributes, by: { $0.id == $1.id && $0.value == $1.value })
    }

    /// The value of attribute `id`, if set.
    public func attribute(_ id: UInt16) -> StoredValue? {
        attributes.last { $0.id == id }?.value
    }

    /// Sets (or, with `nil`, removes) attribute `id`.
    public mutating func setAttribute(_ id: UInt16, _ value: StoredValue?) {
        attributes.removeAll { $0.id == id }
        if let value { attributes.append((id, value)) }
    }

    /// The record bytes in ``ProfileRecord`` format 2.
    public func encode() -> [UInt8] {
        // Last write wins for a repeated segment or attribute id.
        var segmentByID: [UInt16: SegmentMembership] = [:]
        for m in memberships { segmentByID[m.id] = m }
        let segments = segmentByID.values.sorted { $0.id < $1.id }
        var byID: [UInt16: StoredValue] = [:]
        for a in attributes { byID[a.id] = a.value }
        let attrs = byID.sorted { $0.key < $1.key }

        var out: [UInt8] = []
        out.reserveCapacity(128 + attrs.count * 24 + segments.count * 16)
        out.append(ProfileRecord.magic)
        out.append(ProfileRecord.formatVersion)
        var flags: UInt8 = 0
        if let consent {
            flags |= ProfileRecord.flagConsentRecorded
            if consent { flags |= ProfileRecord.flagConsentGranted }
        }
        out.append(flags)
        out.append(0)
        out.appendLE(version)
        out.appendLE(UInt16(segments.count))
        out.appendLE(UInt16(attrs.count))
        out.appendLE(seq)
        out.appendLE(UInt32(0))  // behaviour offset, patched below
        out.appendLE(UInt32(0))
        for s in segments {
            out.appendLE(s.id)
            out.appendLE(UInt16(0))
            out.appendLE(Float(s.score ?? .nan).bitPattern)
            out.appendLE(Timestamp.clamped(s.expiresAt ?? .nan).bitPattern)
        }
        let indexStart = out.count
        out.append(contentsOf: repeatElement(0, count: attrs.count * ProfileRecord.entrySize))
        for (i, (id, value)) in attrs.enumerated() {
            let type: ProfileRecord.ValueType
            var payload = UInt32(out.count)
            switch value {
            case .null:
                type = .null
                payload = 0
            case .bool(let b):
                type = b ? .true : .false
                payload = 0
            case .number(let n):
                type = .number
                out.appendLE(n.bitPattern)
            case .string(let s):
                type = .string
                out.appendLE(UInt32(s.utf8.count))
                out.append(contentsOf: s.utf8)
            case .numberList(let list):
                type = .numberList
                out.appendLE(UInt32(list.count))
                for n in list { out.appendLE(n.bitPattern) }
            case .stringList(let list):
                type = .stringList
                out.appendLE(UInt32(list.count))
                for s in list {
                    out.appendLE(UInt32(s.utf8.count))
                    out.append(contentsOf: s.utf8)
                }
            }
            let at = indexStart + i * ProfileRecord.entrySize
            withUnsafeBytes(of: id.littleEndian) { out.replaceSubrange(at..<at + 2, with: $0) }
            out[at + 2] = type.rawValue
            out[at + 3] = 0
            withUnsafeBytes(of: payload.littleEndian) { out.replaceSubrange(at + 4..<at + 8, with: $0) }
        }
        if !behaviour.isEmpty {
            let offset = BehaviourRecord.append(behaviour, to: &out)
            withUnsafeBytes(of: UInt32(offset).littleEndian) { out.replaceSubrange(24..<28, with: $0) }
        }
        return out
    }
}

extension [UInt8] {
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
