import BundleCompiler
import Decision
import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Minimal valid sources, with one part replaceable per test.
func sources(
    templates: [String: String] = ["t/a": "A {{> p/x}}", "p/x": "x", "t/d": "D"],
    schema: String = "attributes:\n  ltv: number\n  tags: list<string>\n",
    segments: String = "segments:\n  big:\n    when: { \"attributes.ltv\": { $gte: 100 } }\n",
    slot: String = "slot: s\nrules:\n  - name: r\n    segment: big\n    template: t/a\ndefault: { template: t/d }\n"
) -> BundleSources {
    BundleSources(templates: templates, schema: schema, segments: segments, slots: ["Mappings/slots/s.yaml": slot])
}

func problems(_ s: BundleSources) -> [String] {
    do {
        _ = try BundleCompiler.compile(s)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

@Suite("Bundle compiler")
struct BundleCompilerTests {
    @Test func demoBundleCompiles() throws {
        let s = try BundleSources.load(templates: repositoryRoot + "/Templates", mappings: repositoryRoot + "/Mappings")
        let b = try BundleCompiler.compile(s)
        #expect(
            Set(b.slots.map(\.id)).isSuperset(of: ["home.hero", "home.recommendations", "cart.banner", "email.header"]))
        #expect(b.segments.count >= 6)
        _ = try DecisionEngine(bundle: b, revision: 1)
    }

    @Test func minimalSourcesCompile() {
        #expect(problems(sources()) == [])
    }

    @Test(arguments: [
        (
            sources(
                slot:
                    "slot: s\nrules:\n  - name: r\n    when: { \"attributes.ltv\": { $gtee: 5 } }\n    template: t/a\ndefault: { template: t/d }\n"
            ),
            "Mappings/slots/s.yaml:4:33: unknown operator '$gtee'"
        ),
        (
            sources(
                slot:
                    "slot: s\nrules:\n  - name: r\n    segment: big\n    template: t/nope\ndefault: { template: t/d }\n"
            ),
            "Mappings/slots/s.yaml:5:5: unknown template 't/nope' (no Templates/t/nope.mustache)"
        ),
        (
            sources(templates: ["t/a": "A {{> p/missing}}", "t/d": "D"]),
            "Templates/t/a.mustache:1:3: partial 'p/missing' does not exist (no template has that id)"
        ),
        (
            sources(templates: ["t/a": "A\n  {{#open}}x", "p/x": "", "t/d": "D"]),
            "Templates/t/a.mustache:2:3: section 'open' opened at 2:3 is never closed"
        ),
        (
            sources(
                segments:
                    "segments:\n  a:\n    when: { segments: { $in: [b] } }\n  b:\n    when: { segments: { $in: [a] } }\n  big:\n    assigned: true\n"
            ),
            "Mappings/segments.yaml:2:3: segments form a cycle: a -> b -> a"
        ),
        (
            sources(segments: "segments:\n  big:\n    when: { \"attributes.age\": { $gt: 3 } }\n"),
            "Mappings/segments.yaml:3:5: unknown attribute 'age' (not in schema.yaml)"
        ),
        (
            sources(
                slot:
                    "slot: s\nrules:\n  - name: r\n    segment: nobody\n    template: t/a\ndefault: { template: t/d }\n"
            ),
            "Mappings/slots/s.yaml:4:5: unknown segment 'nobody'"
        ),
        (
            sources(schema: "attributes:\n  ltv: money\n"),
            "Mappings/schema.yaml:2:3: attribute 'ltv' needs a type, one of: string, number, integer, boolean, timestamp, list<string>, list<number>"
        ),
        (
            sources(slot: "slot: s\nrules: [\n"),
            "Mappings/slots/s.yaml:3:1: YAML syntax: did not find expected node content"
        ),
        (
            sources(
                slot:
                    "slot: s\nrules:\n  - name: r\n    when: { \"attributes.tags\": { $regex: \"[a-\" } }\n    template: t/a\ndefault: { template: t/d }\n"
            ),
            "Mappings/slots/s.yaml:4:34: invalid regex '[a-'"
        ),
    ])
    func reportsProblemWithPosition(source: BundleSources, expected: String) {
        let found = problems(source)
        #expect(found.contains { $0.hasPrefix(expected) }, "expected \(expected), got \(found)")
    }

    @Test func reportsEveryProblemAtOnce() {
        let s = sources(
            templates: ["t/a": "{{#x}}", "t/d": "{{/y}}"],
            slot: "slot: s\nrules:\n  - name: r\n    segment: nobody\n    template: t/a\ndefault: { template: t/zzz }\n"
        )
        #expect(problems(s).count >= 4)
    }

    @Test func experimentWeightsMustAddUp() {
        let s = sources(
            slot: """
                slot: s
                rules:
                  - name: r
                    experiment:
                      key: k
                      variants:
                        - { id: a, template: t/a, weight: 0.7 }
                        - { id: b, template: t/d, weight: 0.7 }
                default: { template: t/d }
                """)
        #expect(problems(s).contains { $0.contains("variant weights add up to 1.4") })
    }

    @Test func idsStayStableAcrossRevisions() throws {
        let first = try BundleCompiler.compile(sources(schema: "attributes:\n  ltv: number\n  tags: list<string>\n"))
        let second = try BundleCompiler.compile(
            sources(schema: "attributes:\n  added: string\n  ltv: number\n"), previous: first)
        #expect(second.schema.attribute(named: "ltv")?.id == first.schema.attribute(named: "ltv")?.id)
        #expect(second.schema.attribute(named: "added")?.id != first.schema.attribute(named: "tags")?.id)
    }
}
