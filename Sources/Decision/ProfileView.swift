/// A read-in-place view of one ``ProfileRecord``, valid as long as the bytes it points at (for a record
/// in LMDB: until the read transaction is reset).
///
/// Construction validates the header and the index bounds once, so every later read is in bounds for any
/// input, including a corrupt record; a record that fails validation is treated as absent.
public struct ProfileView {
    /// The whole record.
    public let bytes: UnsafeRawBufferPointer
    let segmentCount: Int
    let attributeCount: Int
    let indexOffset: Int

    /// Validates `bytes` as a profile record; `nil` when it is not one this code can read.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= ProfileRecord.headerSize, bytes[0] == ProfileRecord.magic,
            bytes[1] == ProfileRecord.formatVersion
        else { return nil }
        let s = Int(bytes.loadUnaligned(fromByteOffset: 12, as: UInt16.self).littleEndian)
        let a = Int(bytes.loadUnaligned(fromByteOffset: 14, as: UInt16.self).littleEndian)
        let index = ProfileRecord.headerSize + 2 * s
        guard index + a * ProfileRecord.entrySize <= bytes.count else { return nil }
        self.bytes = bytes
        self.segmentCount = s
        self.attributeCount = a
        self.indexOffset = index
    }

    /// The profile version.
    public var version: UInt64 { bytes.loadUnaligned(fromByteOffset: 4, as: UInt64.self).littleEndian }

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
        bytes.loadUnaligned(fromByteOffset: ProfileRecord.headerSize + 2 * i, as: UInt16.self).littleEndian
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
