import BundleCompiler
import Decision
import JSON
import Testing

@Suite("Render cache")
struct RenderCacheTests {
    let bundle: CompiledBundle
    let engine: DecisionEngine

    init() throws {
        bundle = try demoBundle()
        engine = try DecisionEngine(bundle: bundle, revision: 7)
    }

    /// Decides `slots` for a profile given in import JSON, through `cache`.
    func decide(_ json: String, user: String, slots: [String], cache: RenderCache, engine: DecisionEngine? = nil) throws -> JSONValue {
        let record = try record(json, bundle: bundle)
        var out: [UInt8] = []
        var scratch: [UInt8] = []
        var choices: [SlotChoice] = []
        record.withUnsafeBytes { raw in
            (engine ?? self.engine).decide(
                DecisionRequest(user: user, slots: slots), profile: ProfileView(raw), into: &out, scratch: &scratch,
                choices: &choices, cache: cache)
        }
        return try JSONValue.parse(String(decoding: out, as: UTF8.self))
    }

    func content(_ r: JSONValue, _ slot: String) -> String {
        guard case .string(let s)? = r["slots"]?[slot]?["content"] else { return "" }
        return s
    }

    @Test func usersWithTheSameTokenValuesShareOneRenderAndNobodyGetsAnothersTokens() throws {
        let cache = RenderCache(budget: 1 << 20)
        var expected: [String: String] = [:]
        for i in 0..<60 {
            let name = ["Ana", "Ben", "Chloé"][i % 3]
            let json = #"{"id":"u\#(i)","attributes":{"first_name":"\#(name)","orders":9,"ltv":900,"loyalty_tier":"gold"}}"#
            let cached = content(try decide(json, user: "u\(i)", slots: ["home.hero"], cache: cache), "home.hero")
            let fresh = content(try decide(json, user: "u\(i)", slots: ["home.hero"], cache: RenderCache(budget: 0)), "home.hero")
            #expect(cached == fresh)
            #expect(cached.contains("Hi \(name), thank you"))
            if let seen = expected[name] { #expect(seen == cached) } else { expected[name] = cached }
        }
        // Three distinct token values: three renders, the rest are hits.
        #expect(cache.statistics.misses == 3)
        #expect(cache.statistics.hits == 57)
    }

    @Test func aChangedTokenValueIsRenderedAgain() throws {
        let cache = RenderCache(budget: 1 << 20)
        let before = try decide(#"{"id":"x","attributes":{"cart_items":2,"cart_value":40}}"#, user: "x", slots: ["cart.banner"], cache: cache)
        let after = try decide(#"{"id":"x","attributes":{"cart_items":3,"cart_value":55.5}}"#, user: "x", slots: ["cart.banner"], cache: cache)
        #expect(content(before, "cart.banner").contains("2 item(s) worth €40"))
        #expect(content(after, "cart.banner").contains("3 item(s) worth €55.5"))
    }

    @Test func aNewRevisionNeverServesTheOldRevisionsRenders() throws {
        let cache = RenderCache(budget: 1 << 20)
        let json = #"{"id":"x","attributes":{"first_name":"Ana","orders":9,"ltv":900}}"#
        _ = try decide(json, user: "x", slots: ["home.hero"], cache: cache)
        var sources = try demoSources()
        sources.templates["hero/vip"] = "<p>VIP {{attributes.first_name}} v2</p>"
        let next = try compile(sources)
        let newer = try DecisionEngine(bundle: next, revision: 8)
        let r = try decide(json, user: "x", slots: ["home.hero"], cache: cache, engine: newer)
        #expect(content(r, "home.hero") == "<p>VIP Ana v2</p>")
    }

    @Test func aTinyBudgetEvictsAndStaysCorrect() throws {
        let cache = RenderCache(budget: 4096)
        for i in 0..<200 {
            let json = #"{"id":"u\#(i)","attributes":{"first_name":"N\#(i)","orders":9,"ltv":900}}"#
            #expect(content(try decide(json, user: "u\(i)", slots: ["home.hero"], cache: cache), "home.hero").contains("Hi N\(i),"))
        }
        #expect(cache.statistics.evictions > 0)
        #expect(cache.statistics.bytes <= 4096)
    }

    @Test func aTemplateReadingAWholeRootObjectIsNotCachedButStillRendered() throws {
        var sources = try demoSources()
        sources.templates["cart/default"] = "{{#attributes}}{{first_name}}{{/attributes}}"
        let b = try compile(sources)
        let e = try DecisionEngine(bundle: b, revision: 1)
        let cache = RenderCache(budget: 1 << 20)
        for name in ["Ana", "Ben"] {
            let rec = try ProfileInput.parse(try JSONValue.parse(#"{"id":"x","attributes":{"first_name":"\#(name)"}}"#), bundle: b, version: 1)
                .profile.encode()
            var out: [UInt8] = []
            var scratch: [UInt8] = []
            var choices: [SlotChoice] = []
            rec.withUnsafeBytes { raw in
                e.decide(DecisionRequest(user: "x", slots: ["cart.banner"]), profile: ProfileView(raw), into: &out, scratch: &scratch, choices: &choices, cache: cache)
            }
            #expect(content(try JSONValue.parse(String(decoding: out, as: UTF8.self)), "cart.banner") == name)
        }
        #expect(cache.statistics.hits == 0 && cache.statistics.misses == 0)
    }
}
