/// A condition path into behavioural state rather than attributes:
///
/// - `events.<type>.count`, `events.<type>.count_<N>d` (N = 1...30: the last N UTC days, today included),
///   `events.<type>.first_at`, `events.<type>.last_at`;
/// - `cart.items`, `cart.value`, `cart.skus`, `cart.updated_at`;
/// - `orders.count`, `orders.value`, `orders.last_at`;
/// - `activity.first_seen`, `activity.last_seen`;
/// - `segment_scores.<segment>`: an unexpired upstream membership's score.
///
/// Counts and values read 0 for a known user with no such events; times are epoch seconds (for
/// `$olderThan` / `$within`) and read as missing when there is none.
public enum BehaviourPath: Sendable, Equatable {
    case eventCount(type: [UInt8], days: Int?)
    case eventFirstAt(type: [UInt8])
    case eventLastAt(type: [UInt8])
    case cartItems, cartValue, cartSKUs, cartUpdatedAt
    case orderCount, orderValue, orderLastAt
    case firstSeen, lastSeen
    case segmentScore(name: String)

    /// Top-level names that start a behaviour path.
    public static let roots: Set<String> = ["events", "cart", "orders", "activity", "segment_scores"]

    /// The path for `components`, or a message saying what is wrong with it (`nil` only when the first
    /// component is not one of ``roots``).
    public static func parse(_ c: [String]) -> Result<BehaviourPath, PathProblem>? {
        guard let root = c.first, roots.contains(root) else { return nil }
        func fail(_ m: String) -> Result<BehaviourPath, PathProblem> { .failure(PathProblem(message: m)) }
        switch root {
        case "events":
            guard c.count == 3, !c[1].isEmpty else {
                return fail(
                    "'events' paths are events.<type>.count, .count_<N>d (N up to 30), .first_at or .last_at")
            }
            let type = Array(c[1].utf8)
            switch c[2] {
            case "count": return .success(.eventCount(type: type, days: nil))
            case "first_at": return .success(.eventFirstAt(type: type))
            case "last_at": return .success(.eventLastAt(type: type))
            default:
                let f = c[2]
                if f.hasPrefix("count_"), f.hasSuffix("d"), let n = Int(f.dropFirst(6).dropLast()),
                    (1...EventCounter.windowDays).contains(n)
                {
                    return .success(.eventCount(type: type, days: n))
                }
                return fail(
                    "unknown event field '\(f)': use count, count_<N>d (N = 1...\(EventCounter.windowDays)), first_at or last_at"
                )
            }
        case "cart":
            let fields: [String: BehaviourPath] = [
                "items": .cartItems, "value": .cartValue, "skus": .cartSKUs, "updated_at": .cartUpdatedAt,
            ]
            guard c.count == 2, let p = fields[c[1]] else {
                return fail("'cart' paths are cart.items, cart.value, cart.skus, cart.updated_at")
            }
            return .success(p)
        case "orders":
            let fields: [String: BehaviourPath] = ["count": .orderCount, "value": .orderValue, "last_at": .orderLastAt]
            guard c.count == 2, let p = fields[c[1]] else {
                return fail("'orders' paths are orders.count, orders.value, orders.last_at")
            }
            return .success(p)
        case "activity":
            let fields: [String: BehaviourPath] = ["first_seen": .firstSeen, "last_seen": .lastSeen]
            guard c.count == 2, let p = fields[c[1]] else {
                return fail("'activity' paths are activity.first_seen, activity.last_seen")
            }
            return .success(p)
        default:
            guard c.count == 2 else { return fail("'segment_scores' paths are segment_scores.<segment>") }
            return .success(.segmentScore(name: c[1]))
        }
    }
}

/// Why a condition path cannot be read.
public struct PathProblem: Error, Sendable, Equatable {
    /// What is wrong.
    public var message: String
}
