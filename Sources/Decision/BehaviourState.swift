public import JSON

/// Behavioural state built from `event` operations: per-type counters with daily buckets, first and
/// last seen, the cart, orders. Stored in the profile record's behaviour section (``BehaviourRecord``)
/// and read in place at decision time (``BehaviourView``).
public struct BehaviourState: Sendable, Equatable {
    /// First event of any type (seconds since the epoch); NaN: none.
    public var firstSeen: Double = .nan
    /// Latest event of any type; NaN: none.
    public var lastSeen: Double = .nan
    /// The cart.
    public var cart = CartState()
    /// Completed orders.
    public var orderCount: Double = 0
    /// Sum of completed orders' values.
    public var orderValue: Double = 0
    /// Latest completed order; NaN: none.
    public var lastOrderAt: Double = .nan
    /// One counter per event type, ascending by type.
    public var events: [EventCounter] = []

    /// Most distinct event types kept per profile; events of further types are rejected.
    public static let maxEventTypes = 64
    /// Event types that drive the cart and orders.
    public static let addToCart = "add_to_cart"
    /// Removes a cart line (`sku`, optional `quantity`).
    public static let removeFromCart = "remove_from_cart"
    /// A completed order (`value`, `revenue` or `total`); empties the cart.
    public static let purchaseTypes: Set<String> = ["purchase", "order_completed"]

    /// No behaviour recorded.
    public init() {}

    /// True when nothing was ever recorded (no behaviour section is written).
    public var isEmpty: Bool { events.isEmpty && cart == CartState() && firstSeen.isNaN && orderCount == 0 }

    public static func == (a: BehaviourState, b: BehaviourState) -> Bool {
        a.firstSeen.same(b.firstSeen) && a.lastSeen.same(b.lastSeen) && a.cart == b.cart
            && a.orderCount == b.orderCount && a.orderValue == b.orderValue && a.lastOrderAt.same(b.lastOrderAt)
            && a.events == b.events
    }

    /// Records one event. Cart and order events also update the cart and orders (see the type's statics).
    /// Fails (changing nothing) when the profile already has ``maxEventTypes`` other types.
    public mutating func record(type: String, at time: Double, properties: JSONValue) -> Bool {
        let index: Int
        switch events.binarySearch(type) {
        case .found(let i): index = i
        case .insertAt(let i):
            guard events.count < Self.maxEventTypes else { return false }
            events.insert(EventCounter(type: type), at: i)
            index = i
        }
        events[index].record(at: time, properties: properties == .object([]) ? "" : properties.jsonText)
        if !(firstSeen <= time) { firstSeen = time }
        if !(lastSeen >= time) { lastSeen = time }
        if type == Self.addToCart, case .string(let sku)? = properties["sku"] {
            cart.add(
                sku, quantity: properties["quantity"]?.number ?? 1, price: properties["price"]?.number ?? 0, at: time)
        } else if type == Self.removeFromCart, case .string(let sku)? = properties["sku"] {
            cart.remove(sku, quantity: properties["quantity"]?.number, at: time)
        } else if Self.purchaseTypes.contains(type) {
            orderCount += 1
            orderValue +=
                properties["value"]?.number ?? properties["revenue"]?.number ?? properties["total"]?.number ?? 0
            if !(lastOrderAt >= time) { lastOrderAt = time }
            cart.clear(at: time)
        }
        return true
    }
}

extension Double {
    /// Equal, or both NaN ("none").
    func same(_ other: Double) -> Bool { self == other || (isNaN && other.isNaN) }
}

extension JSONValue {
    /// The number, if this is one.
    var number: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
}

/// Where a key is, or would go, in a sorted array.
enum SearchResult {
    case found(Int)
    case insertAt(Int)
}

extension [EventCounter] {
    /// Binary search by event type (the array is ascending by type, compared as UTF-8 bytes).
    func binarySearch(_ type: String) -> SearchResult {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if self[mid].type == type { return .found(mid) }
            if self[mid].type.utf8.lexicographicallyPrecedes(type.utf8) { lo = mid + 1 } else { hi = mid }
        }
        return .insertAt(lo)
    }
}
