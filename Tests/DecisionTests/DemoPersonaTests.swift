import Decision
import DemoData
import JSON
import Testing

@Suite("Generated demo profiles reach their personas through behaviour")
struct DemoPersonaTests {
    let bundle: CompiledBundle
    let engine: DecisionEngine

    init() throws {
        bundle = try demoBundle()
        engine = try DecisionEngine(bundle: bundle, revision: 1)
    }

    /// The home.hero rule each persona gets when nothing outranks it (no churn_risk membership).
    static let heroRule: [DemoProfileGenerator.Persona: String] = [
        .newVisitor: "onboarding-test", .casualBrowser: "style-guide", .highIntent: "high-intent-offer",
        .cartAbandoner: "cart-reminder", .loyalCustomer: "vip", .atRisk: "win-back",
    ]

    /// `line` without the attributes that restate behaviour, so only events can put the user in a persona.
    func withoutFallbacks(_ line: JSONValue) -> JSONValue {
        guard case .object(let members) = line else { return line }
        return .object(
            members.map { m in
                guard m.key == "attributes", case .object(let attrs) = m.value else { return m }
                let fallbacks = DemoProfileGenerator.behaviourFallbackAttributes
                return (m.key, .object(attrs.filter { !fallbacks.contains($0.key) }))
            })
    }

    func decide(_ line: JSONValue, at time: Double) throws -> JSONValue {
        let record = try ProfileInput.parse(line, bundle: bundle, version: 1).profile.encode()
        var out: [UInt8] = []
        var scratch: [UInt8] = []
        var choices: [SlotChoice] = []
        let request = DecisionRequest(user: "u", slots: ["home.hero"], now: time)
        record.withUnsafeBytes { raw in
            engine.decide(request, profile: ProfileView(raw), into: &out, scratch: &scratch, choices: &choices)
        }
        return try JSONValue.parse(String(decoding: out, as: UTF8.self))
    }

    @Test(arguments: [now, now + 13 * 3600])
    func everyGeneratedPersonaIsReachedFromEventsAlone(at moment: Double) throws {
        var generator = DemoProfileGenerator(seed: 7, now: moment)
        var seen: Set<DemoProfileGenerator.Persona> = []
        for i in 1...600 {
            let (persona, line) = generator.profile(id: "u\(i)")
            guard line["consent"]?["personalization"] == .bool(true) else { continue }
            seen.insert(persona)
            for (label, candidate) in [("events only", withoutFallbacks(line)), ("full line", line)] {
                let response = try decide(candidate, at: moment)
                guard case .array(let segments)? = response["segments"] else {
                    Issue.record("no segments for u\(i)")
                    continue
                }
                #expect(segments.contains(.string(persona.rawValue)), "u\(i) \(label): \(segments)")
                let churn = line["segments"] == .array([.string("churn_risk")])
                if !churn {
                    #expect(
                        response["slots"]?["home.hero"]?["rule"] == .string(Self.heroRule[persona]!),
                        "u\(i) \(label) (\(persona.rawValue))")
                }
            }
        }
        #expect(seen == Set(DemoProfileGenerator.Persona.allCases))
    }

    @Test func theSameSeedAndMomentGiveTheSameProfiles() {
        var a = DemoProfileGenerator(seed: 3, now: now)
        var b = DemoProfileGenerator(seed: 3, now: now)
        for i in 0..<50 { #expect(a.profile(id: "u\(i)").line == b.profile(id: "u\(i)").line) }
    }
}
