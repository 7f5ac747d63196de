/// One attribute value ready to be encoded, already checked against the schema.
public enum StoredValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case numberList([Double])
    case stringList([String])
}

/// A profile in owned form, as written by import (and later by deltas). Encoded with ``encode()``.
public struct ProfileData: Sendable, Equatable {
    /// Profile version, bumped on every write.
    public var version: UInt64
    /// Personalization consent: `nil` when never recorded.
    public var consent: Bool?
    /// Explicit segment memberships by segment id.
    public var segmentIDs: [UInt16]
    /// Attribute values by attribute id.
    public var attributes: [(id: UInt16, value: StoredValue)]

    /// A profile with the given parts.
    public init(version: UInt64, consent: Bool?, segmentIDs: [UInt16], attributes: [(id: UInt16, value: StoredValue)]) {
        self.version = version
        self.consent = consent
        self.segmentIDs = segmentIDs
        self.attributes = attributes
    }

    public static func == (lhs: ProfileData, rhs: ProfileData) -> Bool {
        lhs.version == rhs.version && lhs.consent == rhs.consent && lhs.segmentIDs == rhs.segmentIDs
            && lhs.attributes.elementsEqual(rhs.attributes, by: { $0.id == $1.id && $0.value == $1.value })
    }

    /// The record bytes in ``ProfileRecord`` layout.
    public func encode() -> [UInt8] {
        let segments = Array(Set(segmentIDs)).sorted()
        // Last write wins for a repeated id.
        var byID: [UInt16: StoredValue] = [:]
        for a in attributes { byID[a.id] = a.value }
        let attrs = byID.sorted { $0.key < $1.key }

        var out: [UInt8] = []
        out.reserveCapacity(64 + attrs.count * 24)
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
        for s in segments { out.appendLE(s) }
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
        return out
    }
}

extension [UInt8] {
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
