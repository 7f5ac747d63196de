public import JSON
import Targeting

/// Makes plausible fashion-shop profiles for the demo personas from a seeded PRNG (SplitMix64), as import
/// lines (``Decision/ProfileSnapshot`` format): attributes an upstream system would snapshot, and the
/// events behind them, timed relative to `now`, so each persona is reached through behaviour as well as
/// through the attribute fallbacks. The same seed and `now` always give the same profiles.
public struct DemoProfileGenerator {
    /// The demo personas, each a segment of the demo bundle.
    public enum Persona: String, Sendable, CaseIterable {
        case newVisitor = "new_visitor"
        case casualBrowser = "casual_browser"
        case highIntent = "high_intent"
        case cartAbandoner = "cart_abandoner"
        case loyalCustomer = "loyal_customer"
        case atRisk = "at_risk"
    }

    /// Attributes that restate behaviour for systems that send no events (the segments' fallback branches).
    public static let behaviourFallbackAttributes: Set<String> = [
        "sessions_total", "sessions_7d", "high_margin_views_7d", "cart_items", "cart_value", "cart_age_hours",
        "orders", "ltv", "days_since_purchase", "first_seen", "last_seen",
    ]

    private var random: SplitMix64
    /// The moment the profiles describe (epoch seconds); events happen before it.
    public let now: Double

    /// A generator for `seed`, describing users as of `now` (epoch seconds).
    public init(seed: UInt64, now: Double) {
        random = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15)
        self.now = now.rounded(.down)
    }

    mutating func next() -> UInt64 { random.next() }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    static let names = [
        "Ana", "Ben", "Chloé", "Dmitri", "Emma", "Farah", "Gustav", "Hana", "Ines", "Jonas", "Kaito", "Lena",
        "Mateo", "Noor", "Olivia", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Yara", "Zoë",
    ]
    static let countries = ["DE", "FR", "NL", "ES", "IT", "SE", "PL", "GB", "US", "AT"]
    static let interests = [
        "sustainability", "streetwear", "vintage", "outdoor", "formal", "sneakers", "denim", "minimalism",
    ]
    static let categories = ["dresses", "sneakers", "outerwear", "knitwear", "denim", "accessories", "bags"]

    static let hour = 3600.0
    static let day = 86_400.0

    /// One event before `now`.
    struct Event {
        var type: String
        var time: Double
        var properties: [(key: String, value: JSONValue)] = []
    }

    /// The next profile: its persona and its import line with id `id`.
    public mutating func profile(id: String) -> (persona: Persona, line: JSONValue) {
        let roll = unit()
        var a: [(key: String, value: JSONValue)] = []
        func set(_ k: String, _ v: JSONValue) { a.append((k, v)) }
        var events: [Event] = []
        if unit() < 0.8 { set("first_name", .string(pick(Self.names))) }
        set("country", .string(pick(Self.countries)))
        set("age_band", .string(pick(["18-24", "25-34", "35-44", "45-54", "55+"])))
        set("income_bracket", .string(pick(["low", "mid", "high"])))
        set("traffic_source", .string(pick(["organic", "paid", "social", "email", "direct"])))
        var interests: [JSONValue] = []
        for _ in 0..<int(0...3) {
            let i = JSONValue.string(pick(Self.interests))
            if !interests.contains(i) { interests.append(i) }
        }
        set("interests", .array(interests))
        if unit() < 0.6 { set("recommended_category", .string(pick(Self.categories))) }

        // "Recent" stays inside the last 6 days and some hours, so it counts in `count_7d` (today and the 6
        // UTC days before) whatever the hour of `now`.
        /// `count` sessions: `recent` of them in the last 7 days, the rest `olderDays` ago.
        func sessions(_ count: Int, recent: Int, olderDays: ClosedRange<Int>) {
            for i in 0..<count {
                let age = i < recent ? Double(int(1...(6 * 24 - 1))) * Self.hour : Double(int(olderDays)) * Self.day
                events.append(Event(type: "session", time: now - age - Double(int(0...3599))))
            }
        }
        /// `count` views of high-margin categories in the last 7 days.
        func highMarginViews(_ count: Int) {
            for _ in 0..<count {
                events.append(
                    Event(
                        type: "high_margin_view", time: now - Double(int(1...(6 * 24 - 1))) * Self.hour,
                        properties: [("category", .string(pick(Self.categories)))]))
            }
        }
        /// `count` orders worth `total` together, the latest `latestDaysAgo` days ago, the others up to a year
        /// before it.
        func purchases(_ count: Int, total: Double, latestDaysAgo: Int) {
            let each = (total / Double(max(count, 1)) * 100).rounded(.up) / 100
            for i in 0..<count {
                let daysAgo = i == 0 ? latestDaysAgo : latestDaysAgo + int(1...365)
                events.append(
                    Event(
                        type: "purchase", time: now - Double(daysAgo) * Self.day - Double(int(0...3599)),
                        properties: [("value", .number(each))]))
            }
        }
        /// A cart of `items` lines worth about `value`, filled `ageHours` ago.
        func cart(items: Int, value: Double, ageHours: Double) {
            let price = (value / Double(max(items, 1)) * 100).rounded() / 100
            for i in 0..<items {
                events.append(
                    Event(
                        type: "add_to_cart", time: now - ageHours * Self.hour - Double(items - i) * 60,
                        properties: [
                            ("sku", .string("sku-\(int(1000...9999))")), ("quantity", .number(1)),
                            ("price", .number(price)),
                        ]))
            }
        }

        let persona: Persona
        switch roll {
        case ..<0.25:
            persona = .newVisitor
            let views = int(0...2)
            set("sessions_total", .number(1))
            set("sessions_7d", .number(1))
            set("orders", .number(0))
            set("high_margin_views_7d", .number(Double(views)))
            set("cart_items", .number(0))
            let first = now - Double(int(1...20)) * Self.hour
            events.append(Event(type: "session", time: first))
            for i in 0..<views {
                events.append(
                    Event(
                        type: "high_margin_view", time: first + Double(i + 1) * 60,
                        properties: [("category", .string(pick(Self.categories)))]))
            }
        case ..<0.47:
            persona = .casualBrowser
            let total = int(2...8)
            let recent = int(1...2)
            let views = int(0...2)
            set("sessions_total", .number(Double(total)))
            set("sessions_7d", .number(Double(recent)))
            set("orders", .number(0))
            set("high_margin_views_7d", .number(Double(views)))
            set("cart_items", .number(0))
            sessions(total, recent: recent, olderDays: 8...29)
            highMarginViews(views)
        case ..<0.62:
            persona = .highIntent
            let total = int(3...20)
            let recent = int(3...7)
            let orders = int(0...2)
            let views = int(3...25)
            set("sessions_total", .number(Double(total)))
            set("sessions_7d", .number(Double(recent)))
            set("orders", .number(Double(orders)))
            set("high_margin_views_7d", .number(Double(views)))
            set("cart_items", .number(0))
            sessions(min(total, 10), recent: min(recent, total), olderDays: 8...60)
            highMarginViews(min(views, 10))
            if orders > 0 { purchases(orders, total: Double(int(30...200)), latestDaysAgo: int(10...60)) }
        case ..<0.75:
            persona = .cartAbandoner
            let total = int(2...15)
            let recent = int(1...4)
            let orders = int(0...2)
            let items = int(1...5)
            let value = Double(int(19...240))
            let age = Double(int(24...96))
            set("sessions_total", .number(Double(total)))
            set("sessions_7d", .number(Double(recent)))
            set("orders", .number(Double(orders)))
            set("cart_items", .number(Double(items)))
            set("cart_value", .number(value))
            set("cart_age_hours", .number(age))
            sessions(min(total, 8), recent: min(recent, total), olderDays: 8...60)
            if orders > 0 { purchases(orders, total: Double(int(30...200)), latestDaysAgo: int(10...60)) }
            cart(items: items, value: value, ageHours: age)
        case ..<0.90:
            persona = .loyalCustomer
            let total = int(20...200)
            let recent = int(2...9)
            let orders = int(5...40)
            let ltv = Double(int(500...6000))
            let since = int(1...30)
            let items = int(0...2)
            let value = items == 0 ? 0 : Double(int(20...300))
            let age = Double(int(0...12))
            set("sessions_total", .number(Double(total)))
            set("sessions_7d", .number(Double(recent)))
            set("orders", .number(Double(orders)))
            set("ltv", .number(ltv))
            set("days_since_purchase", .number(Double(since)))
            set("loyalty_tier", .string(pick(["gold", "platinum"])))
            set("cart_items", .number(Double(items)))
            set("cart_value", .number(value))
            set("cart_age_hours", .number(age))
            // The snapshot carries the latest orders (at most 8) with the lifetime value spread over them.
            sessions(10, recent: recent, olderDays: 8...29)
            purchases(min(orders, 8), total: ltv, latestDaysAgo: since)
            cart(items: items, value: value, ageHours: age)
        default:
            persona = .atRisk
            let total = int(5...60)
            let orders = int(1...6)
            let ltv = Double(int(40...450))
            let since = int(90...400)
            set("sessions_total", .number(Double(total)))
            set("sessions_7d", .number(0))
            set("orders", .number(Double(orders)))
            set("ltv", .number(ltv))
            set("days_since_purchase", .number(Double(since)))
            set("loyalty_tier", .string(pick(["none", "silver"])))
            sessions(min(total, 6), recent: 0, olderDays: since...(since + 30))
            purchases(orders, total: ltv, latestDaysAgo: since)
        }
        events.sort { $0.time < $1.time }
        if let first = events.first, let last = events.last {
            set("first_seen", .string(Timestamp.format(first.time)))
            set("last_seen", .string(Timestamp.format(last.time)))
        }
        var segments: [JSONValue] = []
        if unit() < 0.03 { segments.append(.string("churn_risk")) }
        let consent = unit() >= 0.04
        let eventJSON = events.map { e -> JSONValue in
            var members: [(key: String, value: JSONValue)] = [
                ("type", .string(e.type)), ("ts", .string(Timestamp.format(e.time))),
            ]
            if !e.properties.isEmpty { members.append(("properties", .object(e.properties))) }
            return .object(members)
        }
        let line = JSONValue.object([
            ("id", .string(id)), ("attributes", .object(a)), ("segments", .array(segments)),
            ("consent", .object([("personalization", .bool(consent))])), ("events", .array(eventJSON)),
        ])
        return (persona, line)
    }
}
