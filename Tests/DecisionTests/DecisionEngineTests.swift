import Decision
import JSON
import Targeting
import Testing

@Suite("Decisions over the demo bundle")
struct DecisionEngineTests {
    let bundle: CompiledBundle
    let engine: DecisionEngine

    init() throws {
        bundle = try demoBundle()
        engine = try DecisionEngine(bundle: bundle, revision: 3)
    }

    func content(_ response: JSONValue, _ slot: String) -> String {
        guard case .string(let s)? = response["slots"]?[slot]?["content"] else { return "" }
        return s
    }

    @Test func loyalCustomerGetsVIPHeroWithTokens() throws {
        let r = try record(
            #"{"id":"u1","attributes":{"first_name":"Ana","orders":12,"ltv":900,"loyalty_tier":"gold"}}"#,
            bundle: bundle)
        let response = try decide(engine, record: r, slots: ["home.hero", "email.header"])
        #expect(response["revision"] == .number(3))
        #expect(response["segments"] == .array([.string("loyal_customer")]))
        #expect(response["slots"]?["home.hero"]?["rule"] == .string("vip"))
        #expect(response["slots"]?["home.hero"]?["template"] == .string("hero/vip"))
        #expect(content(response, "home.hero").contains("Hi Ana, thank you"))
        #expect(content(response, "home.hero").contains("20% off"))
        #expect(content(response, "home.hero").contains("gold member"))
        #expect(response["slots"]?["email.header"]?["rule"] == .string("vip-early-access"))
    }

    @Test func everyPersonaIsReachable() throws {
        let personas: [(String, String, String)] = [
            (#"{"id":"a","attributes":{"sessions_total":1}}"#, "new_visitor", "onboarding-test"),
            (#"{"id":"b","attributes":{"sessions_total":4,"orders":0}}"#, "casual_browser", "style-guide"),
            (
                #"{"id":"c","attributes":{"sessions_total":9,"high_margin_views_7d":5}}"#, "high_intent",
                "high-intent-offer"
            ),
            (
                #"{"id":"d","attributes":{"sessions_total":9,"cart_items":2,"cart_age_hours":30}}"#, "cart_abandoner",
                "cart-reminder"
            ),
            (#"{"id":"e","attributes":{"orders":6,"ltv":800}}"#, "loyal_customer", "vip"),
            (#"{"id":"f","attributes":{"orders":2,"days_since_purchase":200}}"#, "at_risk", "win-back"),
        ]
        for (json, segment, rule) in personas {
            let response = try decide(engine, record: try record(json, bundle: bundle), slots: ["home.hero"])
            guard case .array(let segs)? = response["segments"] else {
                Issue.record("no segments")
                continue
            }
            #expect(segs.contains(.string(segment)), "\(segment) for \(json)")
            #expect(response["slots"]?["home.hero"]?["rule"] == .string(rule), "rule for \(segment)")
        }
    }

    @Test func missingTokensFallBackGracefully() throws {
        let r = try record(#"{"id":"u2","attributes":{"orders":6,"ltv":800}}"#, bundle: bundle)
        let hero = content(try decide(engine, record: r, slots: ["home.hero"]), "home.hero")
        #expect(hero.contains("Hi there, thank you"))
        #expect(!hero.contains("member"))
    }

    @Test func tokensAreHTMLEscaped() throws {
        let r = try record(#"{"id":"u3","attributes":{"first_name":"<b>&\"","orders":6,"ltv":800}}"#, bundle: bundle)
        let hero = content(try decide(engine, record: r, slots: ["home.hero"]), "home.hero")
        #expect(hero.contains("Hi &lt;b&gt;&amp;&quot;,"))
    }

    @Test func unknownUserIsAnonymousWithContextSegmentsOnly() throws {
        let context: [(key: String, value: JSONValue)] = [("device", .string("mobile"))]
        let response = try decide(engine, record: nil, slots: ["home.hero", "email.header"], context: context)
        #expect(response["segments"] == .array([.string("mobile_shopper")]))
        #expect(response["slots"]?["home.hero"]?["variant"] == .string("default"))
        #expect(response["slots"]?["home.hero"]?["rule"] == .null)
        #expect(response["slots"]?["email.header"]?["rule"] == .string("mobile-app"))
    }

    @Test func unknownSlotIsAnErrorEntryAndOthersAreServed() throws {
        let response = try decide(engine, record: nil, slots: ["nope.slot", "cart.banner"])
        #expect(response["slots"]?["nope.slot"]?["error"] == .string("unknown_slot"))
        #expect(response["slots"]?["cart.banner"]?["template"] == .string("cart/default"))
    }

    @Test func withoutConsentDefaultsAreServedAndNoProfileDataIsUsed() throws {
        let r = try record(
            #"{"id":"u4","attributes":{"first_name":"Ana","orders":9,"ltv":999},"consent":{"personalization":false}}"#,
            bundle: bundle)
        let response = try decide(engine, record: r, slots: ["home.hero", "email.header"], explain: true)
        #expect(response["segments"] == .array([]))
        #expect(response["slots"]?["home.hero"]?["template"] == .string("hero/generic"))
        #expect(!content(response, "email.header").contains("Ana"))
        guard case .array(let explain)? = response["slots"]?["home.hero"]?["explain"] else {
            Issue.record("no explain")
            return
        }
        #expect(explain.first?["reason"] == .string("no personalization consent: default served, no profile data read"))
    }

    @Test func experimentAssignmentMatchesGrowthBookHashing() throws {
        var seen: Set<String> = []
        for i in 0..<200 {
            let user = "user-\(i)"
            let r = try record(#"{"id":"\#(user)","attributes":{"sessions_total":1}}"#, bundle: bundle)
            let response = try decide(engine, user: user, record: r, slots: ["home.hero"])
            guard case .string(let variant)? = response["slots"]?["home.hero"]?["experiment"]?["variant"] else {
                Issue.record("no experiment for \(user)")
                continue
            }
            // GrowthBook: hash v2 of seed=key, value=user; 50/50 ranges [0,0.5) [0.5,1).
            let n = try #require(Bucketing.hash(seed: "onboarding-hero", value: user, version: 2))
            #expect(variant == (n < 0.5 ? "a" : "b"), "\(user) n=\(n)")
            // Sticky: the same user gets the same variant again.
            let again = try decide(engine, user: user, record: r, slots: ["home.hero"])
            #expect(again["slots"]?["home.hero"]?["experiment"]?["variant"] == .string(variant))
            seen.insert(variant)
        }
        #expect(seen == ["a", "b"])
    }

    @Test func explainNamesTheConditionThatDecided() throws {
        let r = try record(#"{"id":"u5","attributes":{"cart_items":3,"cart_value":120}}"#, bundle: bundle)
        let response = try decide(engine, record: r, slots: ["cart.banner"], explain: true)
        guard case .array(let entries)? = response["slots"]?["cart.banner"]?["explain"] else {
            Issue.record("no explain")
            return
        }
        #expect(entries.first?["rule"] == .string("free-shipping-nudge"))
        #expect(entries.first?["matched"] == .bool(false))
        guard case .string(let reason)? = entries.first?["reason"] else {
            Issue.record("no reason in \(response.jsonText)")
            return
        }
        #expect(reason.contains("attributes.cart_value"))
    }

    @Test func priorityOrdersRulesAndFileOrderBreaksTies() throws {
        let b = try inlineBundle(
            templates: ["t/a": "A", "t/b": "B", "t/c": "C", "t/d": "D"],
            schema: "attributes:\n  n: number\n",
            segments: "segments:\n  any:\n    when: { \"attributes.n\": { $gte: 0 } }\n",
            slots: [
                "Mappings/slots/s.yaml": """
                slot: s
                rules:
                  - { name: low, priority: 1, segment: any, template: t/a }
                  - { name: tie1, priority: 5, segment: any, template: t/b }
                  - { name: tie2, priority: 5, segment: any, template: t/c }
                default: { template: t/d }
                """
            ])
        let e = try DecisionEngine(bundle: b, revision: 1)
        let r = try record(#"{"id":"x","attributes":{"n":1}}"#, bundle: b)
        #expect(try decide(e, record: r, slots: ["s"])["slots"]?["s"]?["rule"] == .string("tie1"))
        let none = try decide(e, record: try record(#"{"id":"x","attributes":{"n":-1}}"#, bundle: b), slots: ["s"])
        #expect(none["slots"]?["s"]?["content"] == .string("D"))
    }
}
