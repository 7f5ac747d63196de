import ArgumentParser
import Foundation
import JSON

/// `tessera generate-profiles`: deterministic demo profiles across the demo personas.
struct GenerateProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-profiles",
        abstract: "Print deterministic demo profiles as NDJSON (ids u1...uN) spread across the demo personas.",
        discussion: """
            Personas (share): new_visitor 25%, casual_browser 22%, high_intent 15%, cart_abandoner 13%,
            loyal_customer 15%, at_risk 10%. About 4% have withdrawn personalization consent and about 3%
            carry the upstream churn_risk segment. The same --count and --seed always give the same output.
            """
    )

    @Option(help: "Number of profiles.")
    var count = 10_000

    @Option(help: "Random seed.")
    var seed: UInt64 = 42

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
    }

    func run() throws {
        var generator = DemoProfileGenerator(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        for i in 1...max(count, 1) where count > 0 {
            JSONWriter.append(generator.profile(id: "u\(i)"), to: &out)
            out.append(0x0A)
            if out.count > (1 << 20) - 4096 {
                out.withUnsafeBytes { writeAll(1, $0) }
                out.removeAll(keepingCapacity: true)
            }
        }
        out.withUnsafeBytes { writeAll(1, $0) }
    }
}

/// Makes plausible fashion-shop profiles for the demo personas from a seeded PRNG (SplitMix64).
struct DemoProfileGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

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

    mutating func profile(id: String) -> JSONValue {
        let roll = unit()
        var a: [(key: String, value: JSONValue)] = []
        func set(_ k: String, _ v: JSONValue) { a.append((k, v)) }
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
        let day = int(1...28)
        set(
            "first_seen",
            .string("2026-\(String(format: "%02d", int(1...10)))-\(String(format: "%02d", day))T09:15:00Z"))
        set("last_seen", .string("2026-11-\(String(format: "%02d", int(1...24)))T18:30:00Z"))

        let persona: String
        switch roll {
        case ..<0.25:
            persona = "new_visitor"
            set("sessions_total", .number(1))
            set("sessions_7d", .number(1))
            set("orders", .number(0))
            set("high_margin_views_7d", .number(Double(int(0...2))))
            set("cart_items", .number(0))
        case ..<0.47:
            persona = "casual_browser"
            set("sessions_total", .number(Double(int(2...8))))
            set("sessions_7d", .number(Double(int(1...2))))
            set("orders", .number(0))
            set("high_margin_views_7d", .number(Double(int(0...2))))
            set("cart_items", .number(0))
        case ..<0.62:
            persona = "high_intent"
            set("sessions_total", .number(Double(int(3...20))))
            set("sessions_7d", .number(Double(int(3...7))))
            set("orders", .number(Double(int(0...2))))
            set("high_margin_views_7d", .number(Double(int(3...25))))
            set("cart_items", .number(0))
        case ..<0.75:
            persona = "cart_abandoner"
            set("sessions_total", .number(Double(int(2...15))))
            set("sessions_7d", .number(Double(int(1...4))))
            set("orders", .number(Double(int(0...2))))
            set("cart_items", .number(Double(int(1...5))))
            set("cart_value", .number(Double(int(19...240))))
            set("cart_age_hours", .number(Double(int(24...96))))
        case ..<0.90:
            persona = "loyal_customer"
            set("sessions_total", .number(Double(int(20...200))))
            set("sessions_7d", .number(Double(int(2...9))))
            set("orders", .number(Double(int(5...40))))
            set("ltv", .number(Double(int(500...6000))))
            set("days_since_purchase", .number(Double(int(1...30))))
            set("loyalty_tier", .string(pick(["gold", "platinum"])))
            set("cart_items", .number(Double(int(0...2))))
            set("cart_value", .number(Double(int(0...300))))
            set("cart_age_hours", .number(Double(int(0...12))))
        default:
            persona = "at_risk"
            set("sessions_total", .number(Double(int(5...60))))
            set("sessions_7d", .number(0))
            set("orders", .number(Double(int(1...6))))
            set("ltv", .number(Double(int(40...450))))
            set("days_since_purchase", .number(Double(int(90...400))))
            set("loyalty_tier", .string(pick(["none", "silver"])))
        }
        _ = persona
        var segments: [JSONValue] = []
        if unit() < 0.03 { segments.append(.string("churn_risk")) }
        let consent = unit() >= 0.04
        return .object([
            ("id", .string(id)), ("attributes", .object(a)), ("segments", .array(segments)),
            ("consent", .object([("personalization", .bool(consent))])),
        ])
    }
}
