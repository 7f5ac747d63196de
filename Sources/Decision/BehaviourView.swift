import Targeting

/// The behaviour section of a profile record, read in place (see ``BehaviourRecord``).
///
/// Every read is bounds-checked against the record, so a corrupt section reads as missing values, never
/// out of bounds.
public struct BehaviourView {
    let record: UnsafeRawBufferPointer
    let start: Int
    /// Number of event types recorded.
    public let eventTypeCount: Int

    /// The section at `offset` of `record`, or `nil` when its fixed part does not fit.
    init?(record: UnsafeRawBufferPointer, offset: Int) {
        guard offset > 0, offset + BehaviourRecord.fixedSize <= record.count else { return nil }
        let e = Int(record.loadUnaligned(fromByteOffset: offset + 76, as: UInt16.self).littleEndian)
        guard offset + BehaviourRecord.fixedSize + 4 * e <= record.count else { return nil }
        self.record = record
        self.start = offset
        self.eventTypeCount = e
    }

    @inline(__always)
    func double(_ at: Int) -> Double {
        Double(bitPattern: record.loadUnaligned(fromByteOffset: start + at, as: UInt64.self).littleEndian)
    }

    /// First event of any type (epoch seconds; NaN: none).
    public var firstSeen: Double { double(0) }
    /// Latest event of any type.
    public var lastSeen: Double { double(8) }
    /// When the cart last changed.
    public var cartUpdatedAt: Double { double(16) }
    /// Total quantity in the cart.
    public var cartItems: Double { double(24) }
    /// Cart value.
    public var cartValue: Double { double(32) }
    /// Completed orders.
    public var orderCount: Double { double(40) }
    /// Sum of order values.
    public var orderValue: Double { double(48) }
    /// Latest completed order.
    public var lastOrderAt: Double { double(56) }

    /// A list stored at the record offset found at section offset `at`.
    func list(_ at: Int, numbers: Bool) -> ListView? {
        let offset = Int(record.loadUnaligned(fromByteOffset: start + at, as: UInt32.self).littleEndian)
        guard offset + 4 <= record.count, offset > 0 else { return nil }
        let count = Int(record.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
        let list = ListView(record: record, start: offset + 4, count: count, isNumbers: numbers)
        return list.isWithinBounds ? list : nil
    }

    /// SKUs in the cart.
    public var cartSKUs: ListView? { list(64, numbers: false) }
    /// Quantity per cart line.
    public var cartQuantities: ListView? { list(68, numbers: true) }
    /// Unit price per cart line.
    public var cartPrices: ListView? { list(72, numbers: true) }

    /// The `i`-th event type's entry (ascending by type), or `nil` when out of bounds.
    public func event(at i: Int) -> EventView? {
        guard i >= 0, i < eventTypeCount else { return nil }
        let offset = Int(
            record.loadUnaligned(fromByteOffset: start + BehaviourRecord.fixedSize + 4 * i, as: UInt32.self)
                .littleEndian)
        return EventView(record: record, offset: offset)
    }

    /// The entry of event type `type` (UTF-8), or `nil` when the profile has none.
    public func event(_ type: [UInt8]) -> EventView? {
        for i in 0..<eventTypeCount {
            guard let e = event(at: i) else { return nil }
            if e.typeBytes.elementsEqual(type) { return e }
        }
        return nil
    }
}

/// One event type's counters inside a record.
public struct EventView {
    let record: UnsafeRawBufferPointer
    let offset: Int
    let typeLength: Int
    let propertiesLength: Int
    let bucketCount: Int

    init?(record: UnsafeRawBufferPointer, offset: Int) {
        guard offset > 0, offset + BehaviourRecord.eventFixedSize <= record.count else { return nil }
        let k = Int(record.loadUnaligned(fromByteOffset: offset + 28, as: UInt16.self).littleEndian)
        let n = Int(record.loadUnaligned(fromByteOffset: offset + 30, as: UInt16.self).littleEndian)
        let propsAt = offset + BehaviourRecord.eventFixedSize + n
        guard propsAt + 4 <= record.count else { return nil }
        let p = Int(record.loadUnaligned(fromByteOffset: propsAt, as: UInt32.self).littleEndian)
        guard p <= record.count, propsAt + 4 + p + 4 * k <= record.count else { return nil }
        self.record = record
        self.offset = offset
        self.typeLength = n
        self.propertiesLength = p
        self.bucketCount = k
    }

    @inline(__always)
    func double(_ at: Int) -> Double {
        Double(bitPattern: record.loadUnaligned(fromByteOffset: offset + at, as: UInt64.self).littleEndian)
    }

    /// The type's UTF-8 bytes.
    public var typeBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: record[(offset + 32)..<(offset + 32 + typeLength)])
    }
    /// Events ever counted.
    public var count: Double { double(0) }
    /// Earliest event (epoch seconds).
    public var firstAt: Double { double(8) }
    /// Latest event.
    public var lastAt: Double { double(16) }
    /// Day number of the newest bucket.
    public var newestDay: Int { Int(record.loadUnaligned(fromByteOffset: offset + 24, as: Int32.self).littleEndian) }
    /// The latest event's properties as JSON text (empty: none).
    public var lastProperties: UnsafeRawBufferPointer {
        let at = offset + 32 + typeLength + 4
        return UnsafeRawBufferPointer(rebasing: record[at..<(at + propertiesLength)])
    }

    /// The `i`-th daily bucket (events on day `newestDay - i`).
    public func bucket(_ i: Int) -> UInt32 {
        guard i >= 0, i < bucketCount else { return 0 }
        let at = offset + 32 + typeLength + 4 + propertiesLength + 4 * i
        return record.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
    }

    /// Events on the `days` UTC calendar days ending with `now`'s day (today counts as one); NaN `now`
    /// gives NaN (no clock, no window).
    public func count(lastDays days: Int, now: Double) -> Double {
        guard now.isFinite else { return .nan }
        let today = Int(Timestamp.day(of: now))
        let newest = newestDay
        var total: UInt64 = 0
        for i in 0..<bucketCount {
            let day = newest - i
            if day > today { continue }
            if day <= today - days { break }
            total += UInt64(bucket(i))
        }
        return Double(total)
    }
}
