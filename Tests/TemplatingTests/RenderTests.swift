import Foundation
import JSON
import Templating
import Testing

@Suite("Rendering")
struct RenderTests {
    func render(_ sources: [String: String], _ id: String, _ data: JSONValue) throws -> String {
        let library = try TemplateLibrary.compile(sources)
        let handle = try #require(library.template(id))
        return String(decoding: library.render(handle, root: data), as: UTF8.self)
    }

    func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    @Test func pathIDsAndPartials() throws {
        let sources = [
            "hero/vip": "<h1>{{title}}</h1>\n{{> partials/cta}}",
            "partials/cta": "<a href=\"{{url}}\">{{label}}</a>",
        ]
        let data = try json(#"{"title":"Hi & welcome","url":"/x?a=1&b=2","label":"<Go>"}"#)
        #expect(
            try render(sources, "hero/vip", data)
                == "<h1>Hi &amp; welcome</h1>\n<a href=\"/x?a=1&amp;b=2\">&lt;Go&gt;</a>")
    }

    @Test func renderAppendsToExistingBuffer() throws {
        let library = try TemplateLibrary.compile(["t": "{{a}}"])
        let handle = try #require(library.template("t"))
        var out = Array("prefix:".utf8)
        library.render(handle, root: try json(#"{"a":"<b>"}"#), into: &out)
        library.render(handle, root: try json(#"{"a":1.5}"#), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "prefix:&lt;b&gt;1.5")
    }

    @Test func unknownTemplateHasNoHandle() throws {
        let library = try TemplateLibrary.compile(["a": "x"])
        #expect(library.template("b") == nil)
        #expect(library.templateIDs == ["a"])
    }

    @Test func valueTextForms() throws {
        let data = try json(#"{"i":85,"d":1.0,"f":1.5,"t":true,"n":null,"e":"","u":"héllo"}"#)
        #expect(try render(["t": "{{i}}|{{d}}|{{f}}|{{t}}|{{n}}|{{e}}|{{u}}"], "t", data) == "85|1|1.5|true|||héllo")
    }

    @Test func emptyStringIsTruthy() throws {
        #expect(try render(["t": "{{#e}}yes{{/e}}{{^e}}no{{/e}}"], "t", try json(#"{"e":""}"#)) == "yes")
    }

    @Test func rootLevelImplicitIterator() throws {
        // Spec v1.3 sections "Implicit Iterator - Root-level" (missing from the stored copy of sections.json).
        #expect(
            try render(["t": "\"{{#.}}({{value}}){{/.}}\""], "t", try json(#"[{"value":"a"},{"value":"b"}]"#))
                == "\"(a)(b)\"")
    }

    @Test func invertedNullIsFalsey() throws {
        #expect(
            try render(["t": "\"{{^null}}This should be rendered.{{/null}}\""], "t", try json(#"{"null":null}"#))
                == "\"This should be rendered.\"")
    }

    @Test func nestedStandalonePartialsAccumulateIndentation() throws {
        let sources = [
            "main": "<\n  {{> a}}\n>",
            "a": "a1\n  {{> b}}\na2\n",
            "b": "b1 {{v}}\nb2\n",
        ]
        #expect(try render(sources, "main", try json(#"{"v":"x\ny"}"#)) == "<\n  a1\n    b1 x\ny\n    b2\n  a2\n>")
    }

    @Test(arguments: [("true", "  yes\n"), ("false", "  no\n")])
    func indentedPartialWithStandaloneSections(_ flag: String, _ expected: String) throws {
        let sources = ["main": "  {{> p}}\n", "p": "{{#s}}\nyes\n{{/s}}\n{{^s}}\nno\n{{/s}}\n"]
        #expect(try render(sources, "main", try json(#"{"s":\#(flag)}"#)) == expected)
    }

    @Test func selfRecursivePartialStopsAtDepthLimit() throws {
        // Data nests deeper than the limit; rendering stops after maxPartialDepth partial levels.
        var data = JSONValue.object([])
        for _ in 0..<200 { data = .object([(key: "child", value: data)]) }
        let output = try render(["node": "<{{#child}}{{> node}}{{/child}}>"], "node", data)
        let levels = TemplateLibrary.maxPartialDepth + 1
        #expect(output == String(repeating: "<", count: levels) + String(repeating: ">", count: levels))
    }

    @Test func selfSimilarDataDoesNotRecurseForever() throws {
        // `child` resolves up the context stack forever; only the depth limit ends it.
        let output = try render(["node": "[{{#child}}{{> node}}{{/child}}]"], "node", try json(#"{"child":true}"#))
        #expect(output.count == 2 * (TemplateLibrary.maxPartialDepth + 1))
    }

    @Test func indentedSelfRecursivePartialCompilesAndStops() throws {
        let output = try render(["node": "x\n  {{> node}}\n"], "node", try json("{}"))
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == TemplateLibrary.maxPartialDepth + 1)
        #expect(lines.last == Substring(String(repeating: "  ", count: TemplateLibrary.maxPartialDepth) + "x"))
    }

    @Test func mutuallyRecursivePartials() throws {
        let output = try render(["a": "a{{> b}}", "b": "b{{> a}}"], "a", try json("{}"))
        #expect(output.count == TemplateLibrary.maxPartialDepth + 1)
        #expect(output.hasPrefix("abab"))
    }

    @Test func deeplyNestedSectionsAreBounded() throws {
        let depth = TemplateLibrary.maxNesting + 100
        let source = String(repeating: "{{#a}}", count: depth) + "x" + String(repeating: "{{/a}}", count: depth)
        #expect(try render(["t": source], "t", try json(#"{"a":true}"#)) == "")
        let shallow = String(repeating: "{{#a}}", count: 100) + "x" + String(repeating: "{{/a}}", count: 100)
        #expect(try render(["t": shallow], "t", try json(#"{"a":true}"#)) == "x")
    }

    @Test func codableRoundTrip() throws {
        let library = try TemplateLibrary.compile(["main": "<\n  {{> p}}\n>", "p": "{{#xs}}[{{.}}]{{/xs}}\n"])
        let decoded = try JSONDecoder().decode(TemplateLibrary.self, from: JSONEncoder().encode(library))
        let data = try json(#"{"xs":[1,"<",true]}"#)
        let handle = try #require(decoded.template("main"))
        #expect(String(decoding: decoded.render(handle, root: data), as: UTF8.self) == "<\n  [1][&lt;][true]\n>")
    }

    @Test func customRenderValue() throws {
        let library = try TemplateLibrary.compile(["t": "{{#items}}{{name}}:{{price}}{{^last}}, {{/last}}{{/items}}"])
        let handle = try #require(library.template("t"))
        let root = Value.object([
            "items": .list([
                .object(["name": .text("a&b"), "price": .text("1")]),
                .object(["name": .text("c"), "price": .text("2"), "last": .flag(true)]),
            ])
        ])
        #expect(String(decoding: library.render(handle, root: root), as: UTF8.self) == "a&amp;b:1, c:2")
    }
}

/// A minimal non-JSON conformer, to exercise the generic render path.
private indirect enum Value: RenderValue {
    case object([String: Value])
    case list([Value])
    case text(String)
    case flag(Bool)

    func member(_ name: String) -> Value? {
        if case .object(let members) = self { members[name] } else { nil }
    }

    var isFalsey: Bool {
        switch self {
        case .flag(let value): !value
        case .list(let elements): elements.isEmpty
        default: false
        }
    }

    var listCount: Int? {
        if case .list(let elements) = self { elements.count } else { nil }
    }

    func element(at index: Int) -> Value {
        if case .list(let elements) = self { elements[index] } else { self }
    }

    func appendText(to out: inout [UInt8]) {
        switch self {
        case .text(let text): out.append(contentsOf: text.utf8)
        case .flag(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        default: break
        }
    }
}

@Suite("Render budget")
struct RenderBudgetTests {
    /// Found by the template fuzzer: a template that includes itself twice renders 2^64 times before the
    /// partial depth limit stops it, holding a core for ever. The step budget ends it.
    @Test(.timeLimit(.minutes(1)))
    func aSelfPartialTwiceStopsAtTheBudget() throws {
        let library = try TemplateLibrary.compile(["a": "x{{> a}}{{> a}}"])
        let clock = ContinuousClock()
        let start = clock.now
        let out = library.render(try #require(library.template("a")), root: JSONValue.object([]))
        #expect(clock.now - start < .seconds(5))
        #expect(!out.isEmpty)
        #expect(out.count <= TemplateLibrary.maxRenderSteps)
    }

    /// Found by the template fuzzer (Fuzz/Regressions/template/self-partial-two-indents-compiles-exponentially):
    /// a template that includes itself standalone with two different indentations needs a compiled copy per
    /// sequence of indentations, 2^64 at the depth limit, so compiling it never ended (and a CMS publish of it
    /// would have held the content thread). Compiling now stops at the unit bound with an error at the partial.
    @Test(.timeLimit(.minutes(1)))
    func aSelfPartialWithTwoIndentationsFailsToCompile() throws {
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            try TemplateLibrary.compile(["a": "x\n  {{> a}}\n\t{{> a}}\n"])
        } throws: { error in
            guard let errors = error as? TemplateCompileErrors, errors.errors.count == 1 else { return false }
            let e = errors.errors[0]
            // At whichever of the two partials the bound was reached.
            let at = [e.line, e.column]
            return e.templateID == "a" && (at == [2, 3] || at == [3, 2]) && e.message.contains("partials expand too far")
        }
        // Indentations of spaces only add up (two spaces then four is four then two): a polynomial number of
        // copies, and it compiles.
        #expect(throws: Never.self) { try TemplateLibrary.compile(["a": "x\n  {{> a}}\n    {{> a}}\n"]) }
        #expect(clock.now - start < .seconds(10))
        // One indentation is a chain, not a tree: 64 copies, and it compiles.
        let chain = try TemplateLibrary.compile(["a": "x\n  {{> a}}\n"])
        #expect(chain.template("a") != nil)
    }

    @Test func outputIsCappedAndNormalTemplatesAreUntouched() throws {
        let big = String(repeating: "y", count: 100_000)
        let library = try TemplateLibrary.compile([
            "big": "{{#items}}\(big){{/items}}", "small": "{{#items}}[{{.}}]{{/items}}",
        ])
        let items = JSONValue.object([("items", .array((0..<100).map { .number(Double($0)) }))])
        let capped = library.render(try #require(library.template("big")), root: items)
        #expect(capped.count <= TemplateLibrary.maxRenderBytes)
        #expect(capped.count >= TemplateLibrary.maxRenderBytes - 100_000)
        let small = library.render(try #require(library.template("small")), root: items)
        #expect(String(decoding: small, as: UTF8.self) == (0..<100).map { "[\($0)]" }.joined())
    }

    /// A smaller budget stops at the same cut-off (the template fuzzer renders with one).
    @Test func smallerLimitsCutTheSameWay() throws {
        let library = try TemplateLibrary.compile(["small": "{{#items}}[{{.}}]{{/items}}"])
        let items = JSONValue.object([("items", .array((0..<100).map { .number(Double($0)) }))])
        let handle = try #require(library.template("small"))
        let whole = library.render(handle, root: items)
        let fewSteps = library.render(handle, root: items, limits: RenderLimits(steps: 20, bytes: 1 << 20))
        #expect(!fewSteps.isEmpty && fewSteps.count < 60 && whole.starts(with: fewSteps))
        let fewBytes = library.render(handle, root: items, limits: RenderLimits(steps: 1000, bytes: 7))
        // Text is never cut; a value may overshoot by itself (one digit here).
        #expect(whole.starts(with: fewBytes) && (6...8).contains(fewBytes.count))
        let unbounded = library.render(handle, root: items, limits: RenderLimits(steps: .max, bytes: .max))
        #expect(unbounded == whole)
    }
}
