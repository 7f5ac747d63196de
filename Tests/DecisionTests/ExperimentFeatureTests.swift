import BundleCompiler
import Foundation
import Decision
import JSON
import Targeting
import Testing

/// Schedules, namespaces, holdouts and sticky assignment, decided in process over inline bundles.
@Suite("Experiment features: schedules, namespaces, holdouts, sticky variants")
struct ExperimentFeatureTests {
    static let templates = ["a": "A", "b": "B", "d": "D"]
    static let schema = "attributes: { n: number }\n"
    static let segments = "segments: {}\n"

    static func engine(_ slot: String) throws -> DecisionEngine {
        try DecisionEngine(
            bundle: inlineBundle(
                templates: templates, schema: schema, segments: segments, slots: ["Mappings/slots/s.yaml": slot]),
            revision: 1)
    }

    static func decide(_ engine: DecisionEngine, user: String, now: Double = 1_780_000_000, lookup: (any SavedGroupLookup)? = nil)
        -> JSONValue
    {
        var out: [UInt8] = []
        var scratch: [UInt8] = []
        var choices: [SlotChoice] = []
        engine.decide(
            DecisionRequest(user: user, slots: ["s"], now: now), profile: nil, savedGroups: lookup, into: &out,
            scratch: &scratch, choices: &choices)
        return (try? JSONValue.parse(String(decoding: out, as: UTF8.self)))?["slots"]?["s"] ?? .null
    }

    @Test func aScheduledRuleRunsOnlyInsideItsWindow() throws {
        let e = try Self.engine(
            """
            slot: s
            rules:
              - name: launch
                active: { from: "2026-06-01T00:00:00Z", until: 1782864000 }
                template: a
            default: { template: d }
            """)
        let from = try #require(Timestamp(iso8601: "2026-06-01T00:00:00Z")).seconds
        #expect(Self.decide(e, user: "u", now: from - 1)["rule"] == .null)
        #expect(Self.decide(e, user: "u", now: from)["rule"] == .string("launch"))
        #expect(Self.decide(e, user: "u", now: 1_782_863_999)["rule"] == .string("launch"))
        #expect(Self.decide(e, user: "u", now: 1_782_864_000)["rule"] == .null)
        #expect(Self.decide(e, user: "u", now: .nan)["rule"] == .null, "no clock: a scheduled rule stays off")
        // Bad schedules are compile problems naming the place.
        for bad in [#"active: { from: "2026-13-01" }"#, "active: { from: 20, until: 10 }", "active: { at: 1 }", "active: 5"] {
            #expect(throws: CompileProblems.self, "\(bad)") {
                _ = try Self.engine("slot: s\nrules:\n  - name: r\n    \(bad)\n    template: a\ndefault: { template: d }\n")
            }
        }
    }

    @Test func experimentsInOneNamespaceNeverShareAUser() throws {
        func experiment(_ key: String, _ range: String) -> String {
            """
              - name: \(key)
                experiment:
                  key: \(key)
                  namespace: [checkout, \(range)]
                  variants:
                    - { id: x, template: a }
                    - { id: y, template: b }
            """
        }
        let e = try Self.engine(
            "slot: s\nrules:\n\(experiment("left", "0, 0.5"))\n\(experiment("right", "0.5, 1"))\ndefault: { template: d }\n")
        var counts: [String: Int] = [:]
        for i in 0..<2000 {
            let user = "user-\(i)"
            let rule = Self.decide(e, user: user)["rule"]
            // GrowthBook's inNamespace decides which one, and exactly one, takes the user.
            let left = Bucketing.inNamespace(hashValue: user, id: "checkout", range: VariationRange(0, 0.5))
            #expect(rule == .string(left ? "left" : "right"), "\(user)")
            counts[left ? "left" : "right", default: 0] += 1
        }
        #expect(counts["left", default: 0] > 850 && counts["right", default: 0] > 850, "\(counts)")
        #expect(throws: CompileProblems.self) {
            _ = try Self.engine("slot: s\nrules:\n\(experiment("bad", "0.7, 0.2"))\ndefault: { template: d }\n")
        }
    }

    @Test func aHoldoutGetsTheDefaultAndIsMeasuredApart() throws {
        let e = try Self.engine(
            """
            slot: s
            rules:
              - name: promo
                holdout: 0.2
                template: a
            default: { template: d }
            """)
        var held = 0
        let slot = try #require(e.slot(named: "s"))
        let descriptions = e.outcomeDescriptions(slot: slot)
        #expect(descriptions.map(\.variant) == ["promo", "holdout", "default"])
        #expect(descriptions[1].rule == "promo" && descriptions[1].holdout == 0.2)
        for i in 0..<5000 {
            let entry = Self.decide(e, user: "u\(i)")
            #expect(entry["rule"] == .string("promo"))
            if entry["variant"] == .string("holdout") {
                held += 1
                #expect(entry["content"] == .string("D"), "the holdout sees the default")
                let n = try #require(Bucketing.hash(seed: "holdout:s:promo", value: "u\(i)", version: 2))
                #expect(n < 0.2)
            } else {
                #expect(entry["content"] == .string("A"))
            }
        }
        #expect(held > 900 && held < 1100, "about 20% of 5,000: \(held)")
        #expect(throws: CompileProblems.self) {
            _ = try Self.engine("slot: s\nrules:\n  - name: r\n    holdout: 1\n    template: a\ndefault: { template: d }\n")
        }
    }

    /// A stored sticky variant per user.
    struct Sticky: SavedGroupLookup {
        var stored: [String: (Int, String)]
        func savedGroup(_ number: Int, contains member: SavedGroupMember?) -> Bool? { nil }
        func stickyVariant(user: String, experiment: String) -> (bucketVersion: Int, variant: String)? {
            stored[user + "/" + experiment]
        }
    }

    @Test func aStickyUserKeepsTheirVariantUntilTheBucketVersionChanges() throws {
        func slot(weightX: Double, version: Int) -> String {
            """
            slot: s
            rules:
              - name: test
                experiment:
                  key: t
                  sticky: true
                  bucket_version: \(version)
                  variants:
                    - { id: x, template: a, weight: \(weightX) }
                    - { id: y, template: b, weight: \(1 - weightX) }
            default: { template: d }
            """
        }
        let allY = try Self.engine(slot(weightX: 0, version: 1))
        let lookup = Sticky(stored: ["u1/t": (1, "x"), "u2/t": (0, "x"), "u3/t": (1, "nope")])
        #expect(Self.decide(allY, user: "u1", lookup: lookup)["variant"] == .string("x"), "kept though x has weight 0")
        #expect(Self.decide(allY, user: "u2", lookup: lookup)["variant"] == .string("y"), "an old bucket version")
        #expect(Self.decide(allY, user: "u3", lookup: lookup)["variant"] == .string("y"), "an unknown variant")
        #expect(Self.decide(allY, user: "u4", lookup: lookup)["variant"] == .string("y"), "none stored")
        // Not sticky: the stored variant is ignored.
        let plain = try Self.engine(slot(weightX: 0, version: 1).replacingOccurrences(of: "sticky: true", with: "sticky: false"))
        #expect(Self.decide(plain, user: "u1", lookup: lookup)["variant"] == .string("y"))
    }

    @Test func aBanditDealsByItsCurrentWeightsAndExplainsThem() throws {
        let e = try Self.engine(
            """
            slot: s
            rules:
              - name: b
                experiment:
                  key: k
                  allocation: bandit
                  variants:
                    - { id: x, template: a }
                    - { id: y, template: b }
            default: { template: d }
            """)
        func decide(_ user: String, _ weights: BanditWeights?) -> JSONValue {
            var out: [UInt8] = []
            var scratch: [UInt8] = []
            var choices: [SlotChoice] = []
            e.decide(
                DecisionRequest(user: user, slots: ["s"], explain: true, now: 1), profile: nil, into: &out,
                scratch: &scratch, choices: &choices, bandits: weights)
            return (try? JSONValue.parse(String(decoding: out, as: UTF8.self)))?["slots"]?["s"] ?? .null
        }
        // All traffic to y: every user gets y, and explain names the weights and their version.
        let allY = BanditWeights(entries: [
            "k": .init(
                version: 3, computedAt: 0, weights: ["": [0, 1]],
                ranges: ["": Bucketing.bucketRanges(count: 2, coverage: 1, weights: [0, 1])])
        ])
        for i in 0..<200 {
            let entry = decide("u\(i)", allY)
            #expect(entry["variant"] == .string("y"))
        }
        let explained = decide("u1", allY)["explain"]?.jsonText ?? ""
        #expect(explained.contains("bandit weights v3: x 0.0, y 1.0"), "\(explained)")
        // Without weights yet, the configured split (even) deals both.
        let dealt = Set((0..<200).map { decide("u\($0)", nil)["variant"] })
        #expect(dealt == [.string("x"), .string("y")])
    }
}
