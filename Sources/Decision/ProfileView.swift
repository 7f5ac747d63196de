/// A read-in-place view of one ``ProfileRecord``, valid as long as the bytes it points at (for a record
/// in LMDB: until the read transaction is reset).
///
/// Construction validates the header and the index bounds once, so every later read is in bounds for any
/// input, including a corrupt record; a record that fails validation is treated as absent.
public struct ProfileView {
    /// The whole record.
    public let bytes: UnsafeRawBufferPointer
    /// The record's format version (1 or 2).
    public let formatVersion: UInt8
    let segmentCount: Int
    let segmentOffset: Int
    let segmentStride: Int
    let attributeCount: Int
    let indexOffset: Int

    /// Validates `bytes` as a profile record; `nil` when it is not one this code can read.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= ProfileRecord.headerSizeV1, bytes[0] == ProfileRecord.magic else { return nil }
        let format = bytes[1]
        let s = Int(bytes.loadUnaligned(fromByteOffset: 12, as: UInt16.self).littleEndian)
        let a = Int(bytes.loadUnaligned(fromByteOffset: 14, as: UInt16.self).littleEndian)
        switch format {
        case 1:
            segmentOffset = ProfileRecord.headerSizeV1
            segmentStride = 2
        case 2:
            guard bytes.count >= ProfileRecord.headerSize else { return nil }
            segmentOffset = ProfileRecord.headerSize
            segmentStride = ProfileRecord.membershipSize
        default:
            return nil
        }
        let index = segmentOffset + segmentStride * s
        guard index + a * ProfileRecord.entrySize <= bytes.count else { return nil }
        self.bytes = bytes
        self.formatVersion = format
        self.segmentCount = s
        self.attributeCount = a
        self.indexOffset = index
    }

    /// The profile version.
    public var version: UInt64 { bytes.loadUnaligned(fromByteOffset: 4, as: UInt64.self).littleEndian }

    /// The last applied delta `seq` (0 for none, and for format 1 records).
    public var seq: UInt64 {
        formatVersion >= 2 ? bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian : 0
    }

    /// The behaviour section, if the record has one.
    public var behaviour: BehaviourView? {
        guard formatVersion >= 2 else { return nil }
        let offset = Int(bytes.loadUnaligned(fromByteOffset: 24, as: UInt32.self).littleEndian)
        return BehaviourView(record: bytes, offset: offset)
    }

    /// The score of the `i`-th explicit membership, or `nil` when none was given.
    public func explicitSegmentScore(at i: Int) -> Double? {
        guard formatVersion >= 2 else { return nil }
        let bits = bytes.loadUnaligned(fromByteOffset: segmentOffset + segmentStride * i + 4, as: UInt32.self)
        let score = Float(bitPattern: bits.littleEndian)
        return score.isNaN ? nil : Double(score)
    }

    /// When the `i`-th explicit membership expires (epoch seconds), or `nil` for never.
    public func explicitSegmentExpiry(at i: Int) -> Double? {
        guard formatVersion >= 2 else { return nil }
        let bits = bytes.loadUnaligned(fromByteOffset: segmentOffset + segmentStride * i + 8, as: UInt64.self)
        let t = Double(bitPattern: bits.littleEndian)
        return t.isNaN ? nil : t
    }

    /// Whether the `i`-th explicit membership counts at `now` (expired ones do not; NaN `now`: all count).
    @inline(__always)
    public func explicitSegmentIsActive(at i: Int, now: Double) -> Bool {
        guard formatVersion >= 2 else { return true }
        let bits = bytes.loadUnaligned(fromByteOffset: segmentOffset + segmentStride * i + 8, as: UInt64.self)
        return !(Double(bitPattern: bits.littleEndian) <= now)
    }

    /// Personalization consent: `nil` when never recorded.
    public var consent: Bool? {
        let flags = bytes[2]
        guard flags & ProfileRecord.flagConsentRecorded != 0 else { return nil }
        return flags & ProfileRecord.flagConsentGranted != 0
    }

    /// Number of explicit segment memberships.
    public var explicitSegmentCount: Int { segmentCount }

    /// The id of the `i`-th explicit segment.
    @inline(__always)
    public func explicitSegment(at i: Int) -> UInt16 {
        bytes.loadUnaligned(fromByteOffset: segmentOffset + segmentStride * i, as: UInt16.self).littleEndian
    }

    /// The value of attribute `id`, or `nil` when the profile does not have it (binary search of the index).
    @inline(__always)
    public func attribute(_ id: UInt16) -> AttributeValue? {
        var lo = 0
        var hi = attributeCount
        while lo < hi {
            let mid = (lo + hi) >> 1
            let at = indexOffset + mid * ProfileRecord.entrySize
            let midID = bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian
            if midID == id { return value(at: at) }
            if midID < id { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// Number of attributes stored.
    public var attributeCountStored: Int { attributeCount }

    /// The id and value of the `i`-th stored attribute (ascending by id).
    public func attribute(at i: Int) -> (id: UInt16, value: AttributeValue) {
        let at = indexOffset + i * ProfileRecord.entrySize
        return (bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian, value(at: at) ?? .null)
    }

    @inline(__always)
    func value(at entry: Int) -> AttributeValue? {
        let payload = Int(bytes.loadUnaligned(fromByteOffset: entry + 4, as: UInt32.self).littleEndian)
        guard let type = ProfileRecord.ValueType(rawValue: bytes[entry + 2]) else { return nil }
        switch type {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .number:
            guard payload + 8 <= bytes.count else { return nil }
            return .number(
                Double(bitPattern: bytes.loadUnaligned(fromByteOffset: payload, as: UInt64.self).littleEndian))
        case .string:
            guard let s = stringAt(payload) else { return nil }
            return .string(s)
        case .numberList, .stringList:
            guard payload + 4 <= bytes.count else { return nil }
            let count = Int(bytes.loadUnaligned(fromByteOffset: payload, as: UInt32.self).littleEndian)
            let list = ListView(record: bytes, start: payload + 4, count: count, isNumbers: type == .numberList)
            guard list.isWithinBounds else { return nil }
            return .list(list)
        }
    }

    @inline(__always)
    func stringAt(_ offset: Int) -> UnsafeRawBufferPointer? {
        guard offset + 4 <= bytes.count else { return nil }
        let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
        guard offset + 4 + length <= bytes.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 4 + length)])
    }
}

/// One attribute value read in place.
public enum AttributeValue {
    case null
    case bool(Bool)
    case number(Double)
    /// UTF-8 bytes inside the record.
    case string(UnsafeRawBufferPointer)
    case list(ListView)
}

/// A list attribute inside a record: numbers (fixed 8-byte stride) or strings (length-prefixed, walked).
public struct ListView {
    let record: UnsafeRawBufferPointer
    let start: Int
    /// Number of elements.
    public let count: Int
    /// Whether the elements are numbers (else strings).
    public let isNumbers: Bool

    var isWithinBounds: Bool {
        guard count >= 0, count < 1 << 20 else { return false }
        if isNumbers { return start + count * 8 <= record.count }
        var at = start
        for _ in 0..<count {
            guard at + 4 <= record.count else { return false }
            at += 4 + Int(record.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
            guard at <= record.count else { return false }
        }
        return true
    }

    /// The `i`-th element (bounds were checked when the view was made).
    public func element(at i: Int) -> AttributeValue {
        if isNumbers {
            return .number(
                Double(bitPattern: record.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self).littleEndian))
        }
        var at = start
        for _ in 0..<i { at += 4 + Int(record.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian) }
        let length = Int(record.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
        return .string(UnsafeRawBufferPointer(rebasing: record[(at + 4)..<(at + 4 + length)]))
    }
}
