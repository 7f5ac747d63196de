import Targeting
/// The behaviour section of a format-2 ``ProfileRecord`` (offsets relative to the section's start unless
/// said otherwise; little-endian, unaligned):
///
/// ```
///  0  f64  first seen        8  f64  last seen        (epoch seconds; NaN: none)
/// 16  f64  cart updated at  24  f64  cart items       32  f64  cart value
/// 40  f64  order count      48  f64  order value      56  f64  last order at
/// 64  u32  record offset of the cart SKUs (string list)
/// 68  u32  record offset of the cart quantities (number list)
/// 72  u32  record offset of the cart unit prices (number list)
/// 76  u16  event type count E      78  u16  reserved
/// 80  E × u32  record offset of each event entry, ascending by type
/// ```
///
/// An event entry: f64 count, f64 first at, f64 last at, i32 newest day, u16 bucket count K, u16 type
/// length N, N bytes of type, u32 properties length P, P bytes of JSON, K × u32 daily counts (newest first).
/// Lists use the attribute payload layouts, so ``ListView`` reads them.
public enum BehaviourRecord {
    /// Size of the fixed part.
    static let fixedSize = 80
    /// Size of an event entry before its type bytes.
    static let eventFixedSize = 32

    /// Appends `state`'s section to `out` (a record being built) and returns its offset.
    static func append(_ state: BehaviourState, to out: inout [UInt8]) -> Int {
        let start = out.count
        // Times are stored inside the valid range whatever reached the state (``Timestamp/clamped(_:)``).
        let t = Timestamp.clamped
        for v in [
            t(state.firstSeen), t(state.lastSeen), t(state.cart.updatedAt), state.cart.items, state.cart.value,
            state.orderCount, state.orderValue, t(state.lastOrderAt),
        ] {
            out.appendLE(v.bitPattern)
        }
        out.append(contentsOf: repeatElement(0, count: 12))
        out.appendLE(UInt16(state.events.count))
        out.appendLE(UInt16(0))
        let table = out.count
        out.append(contentsOf: repeatElement(0, count: 4 * state.events.count))

        func patch(_ at: Int, _ value: Int) {
            withUnsafeBytes(of: UInt32(value).littleEndian) { out.replaceSubrange(at..<at + 4, with: $0) }
        }
        patch(start + 64, out.count)
        out.appendLE(UInt32(state.cart.skus.count))
        for s in state.cart.skus {
            out.appendLE(UInt32(s.utf8.count))
            out.append(contentsOf: s.utf8)
        }
        patch(start + 68, out.count)
        out.appendLE(UInt32(state.cart.quantities.count))
        for q in state.cart.quantities { out.appendLE(q.bitPattern) }
        patch(start + 72, out.count)
        out.appendLE(UInt32(state.cart.prices.count))
        for p in state.cart.prices { out.appendLE(p.bitPattern) }

        for (i, e) in state.events.enumerated() {
            patch(table + 4 * i, out.count)
            out.appendLE(e.count.bitPattern)
            out.appendLE(Timestamp.clamped(e.firstAt).bitPattern)
            out.appendLE(Timestamp.clamped(e.lastAt).bitPattern)
            out.appendLE(e.newestDay)
            out.appendLE(UInt16(e.buckets.count))
            out.appendLE(UInt16(e.type.utf8.count))
            out.append(contentsOf: e.type.utf8)
            out.appendLE(UInt32(e.lastProperties.utf8.count))
            out.append(contentsOf: e.lastProperties.utf8)
            for b in e.buckets { out.appendLE(b) }
        }
        return start
    }
}
