/// What is counted for one outcome (or one outcome within one segment).
public struct OutcomeCounters: Sendable, Equatable {
    /// Times it was shown.
    public var exposures: UInt64 = 0
    /// Distinct users it was shown to.
    public var users: UInt64 = 0
    /// Clicks (at most one per exposure).
    public var clicks: UInt64 = 0
    /// Conversions attributed to it.
    public var conversions: UInt64 = 0
    /// Distinct users with at least one attributed conversion.
    public var converters: UInt64 = 0
    /// Sum of the attributed conversions' values.
    public var revenue: Double = 0

    /// Nothing counted.
    public init() {}

    static let encodedLength = 48

    mutating func add(_ o: OutcomeCounters) {
        exposures &+= o.exposures
        users &+= o.users
        clicks &+= o.clicks
        conversions &+= o.conversions
        converters &+= o.converters
        revenue += o.revenue
    }

    var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.encodedLength)
        for v in [exposures, users, clicks, conversions, converters, revenue.bitPattern] {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    init?(encoded raw: UnsafeRawBufferPointer) {
        guard raw.count == Self.encodedLength else { return nil }
        func u(_ i: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        exposures = u(0)
        users = u(1)
        clicks = u(2)
        conversions = u(3)
        converters = u(4)
        revenue = Double(bitPattern: u(5))
    }
}
