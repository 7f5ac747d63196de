/// The segments a user is in, as bits indexed by the bundle's segment order.
///
/// A fixed 256-bit value: no allocation, and rule tests are a few AND/compare instructions.
public struct SegmentSet: Sendable, Equatable, Hashable, Codable {
    /// The most segments a bundle may define.
    public static let capacity = 256

    @usableFromInline var w0: UInt64 = 0
    @usableFromInline var w1: UInt64 = 0
    @usableFromInline var w2: UInt64 = 0
    @usableFromInline var w3: UInt64 = 0

    /// The empty set.
    public init() {}

    /// The set whose bits are `words` (bit `i` is bit `i % 64` of word `i / 64`), as ``words`` gives them.
    @inlinable
    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (w0, w1, w2, w3) = words
    }

    /// The four 64-bit words of the set, lowest bits first (for fixed-size records).
    @inlinable
    public var words: (UInt64, UInt64, UInt64, UInt64) { (w0, w1, w2, w3) }

    /// A set holding `bits`.
    public init(_ bits: some Sequence<Int>) {
        for b in bits { insert(b) }
    }

    /// Adds bit `i` (0..<256).
    @inline(__always)
    public mutating func insert(_ i: Int) {
        let m: UInt64 = 1 << UInt64(i & 63)
        switch i >> 6 {
        case 0: w0 |= m
        case 1: w1 |= m
        case 2: w2 |= m
        default: w3 |= m
        }
    }

    /// Whether bit `i` is set.
    @inline(__always)
    public func contains(_ i: Int) -> Bool {
        let m: UInt64 = 1 << UInt64(i & 63)
        switch i >> 6 {
        case 0: return w0 & m != 0
        case 1: return w1 & m != 0
        case 2: return w2 & m != 0
        default: return w3 & m != 0
        }
    }

    /// Whether the two sets share a member.
    @inline(__always)
    public func intersects(_ other: SegmentSet) -> Bool {
        (w0 & other.w0) | (w1 & other.w1) | (w2 & other.w2) | (w3 & other.w3) != 0
    }

    /// Whether every member of `other` is in this set.
    @inline(__always)
    public func isSuperset(of other: SegmentSet) -> Bool {
        (w0 & other.w0) == other.w0 && (w1 & other.w1) == other.w1 && (w2 & other.w2) == other.w2
            && (w3 & other.w3) == other.w3
    }

    /// Whether the set has no members.
    public var isEmpty: Bool { (w0 | w1 | w2 | w3) == 0 }

    /// Number of members.
    public var count: Int { w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount }

    /// The `n`-th member in ascending order (n < count).
    public func member(at n: Int) -> Int {
        var remaining = n
        for (wi, w) in [w0, w1, w2, w3].enumerated() {
            let c = w.nonzeroBitCount
            if remaining < c {
                var word = w
                for _ in 0..<remaining { word &= word - 1 }
                return wi * 64 + word.trailingZeroBitCount
            }
            remaining -= c
        }
        return -1
    }

    /// Calls `body` with each member in ascending order.
    @inline(__always)
    public func forEach(_ body: (Int) -> Void) {
        var words = (w0, w1, w2, w3)
        withUnsafeMutableBytes(of: &words) { raw in
            for wi in 0..<4 {
                var w = raw.loadUnaligned(fromByteOffset: wi * 8, as: UInt64.self)
                while w != 0 {
                    body(wi * 64 + w.trailingZeroBitCount)
                    w &= w - 1
                }
            }
        }
    }
}
