import Templating
import Testing

@Suite("Compile errors")
struct CompileErrorTests {
    /// The errors `compile` throws for `sources`, or [] when it succeeds.
    func errors(_ sources: [String: String]) -> [TemplateCompileError] {
        do {
            _ = try TemplateLibrary.compile(sources)
            return []
        } catch {
            return error.errors
        }
    }

    func error(_ id: String, _ line: Int, _ column: Int, _ message: String) -> TemplateCompileError {
        TemplateCompileError(templateID: id, line: line, column: column, message: message)
    }

    @Test func unclosedSection() {
        #expect(
            errors(["hero/vip": "a\n  {{#items}}\nx"]) == [
                error("hero/vip", 2, 3, "section 'items' opened at 2:3 is never closed")
            ])
    }

    @Test func nestedUnclosedSectionsAreAllReported() {
        #expect(
            errors(["t": "{{#a}}{{^b}}"]) == [
                error("t", 1, 1, "section 'a' opened at 1:1 is never closed"),
                error("t", 1, 7, "section 'b' opened at 1:7 is never closed"),
            ])
    }

    @Test func mismatchedClosingTagNamesBoth() {
        #expect(
            errors(["t": "{{#a}}\n  {{/b}}"]) == [
                error("t", 1, 1, "section 'a' opened at 1:1 is never closed"),
                error("t", 2, 3, "closing tag '{{/b}}' does not match section 'a' opened at 1:1"),
            ])
    }

    @Test func mismatchRecoversToOuterSection() {
        // The inner section is reported once, and the outer closing tag still matches.
        #expect(
            errors(["t": "{{#outer}}{{#inner}}{{/outer}}"]) == [
                error("t", 1, 21, "closing tag '{{/outer}}' does not match section 'inner' opened at 1:11")
            ])
    }

    @Test func strayClosingTag() {
        #expect(
            errors(["t": "x\n{{/a}}"]) == [
                error("t", 2, 1, "closing tag '{{/a}}' has no matching opening section")
            ])
    }

    @Test func unclosedTag() {
        #expect(
            errors(["t": "Hello\n  {{name"]) == [
                error("t", 2, 3, "tag opened at 2:3 is never closed (expected '}}')")
            ])
        #expect(
            errors(["t": "{{{name}}"]) == [
                error("t", 1, 1, "tag opened at 1:1 is never closed (expected '}}}')")
            ])
    }

    @Test func unclosedTagUsesCurrentDelimiters() {
        #expect(
            errors(["t": "{{=<% %>=}}\n<%name}}"]) == [
                error("t", 2, 1, "tag opened at 2:1 is never closed (expected '%>')")
            ])
    }

    @Test(arguments: ["{{=<%=}}", "{{=<% %> x=}}", "{{= =}}", "{{=a= b=}}"])
    func badSetDelimiters(_ source: String) {
        #expect(
            errors(["t": "ok\n" + source]) == [
                error(
                    "t", 2, 1,
                    "invalid set-delimiter tag '\(source)': expected two delimiters separated by a space, like {{=<% %>=}}"
                )
            ])
    }

    @Test func emptyTagNames() {
        #expect(
            errors(["t": "x {{ }} {{#}}{{/}}\n{{&}}{{>}}"]) == [
                error("t", 1, 3, "tag '{{ }}' has an empty name"),
                error("t", 1, 9, "tag '{{#}}' has an empty name"),
                error("t", 1, 14, "tag '{{/}}' has an empty name"),
                error("t", 2, 1, "tag '{{&}}' has an empty name"),
                error("t", 2, 6, "tag '{{>}}' has an empty name"),
            ])
    }

    @Test func malformedNames() {
        #expect(
            errors(["t": "{{a b}} {{a..b}}"]) == [
                error("t", 1, 1, "tag '{{a b}}' has a name with whitespace in it ('a b')"),
                error("t", 1, 9, "tag '{{a..b}}' has a name with an empty part between dots ('a..b')"),
            ])
    }

    @Test func missingPartialIsAnError() {
        #expect(
            errors(["hero/vip": "<h1>\n  {{> partials/cta}}\n</h1>"]) == [
                error("hero/vip", 2, 3, "partial 'partials/cta' does not exist (no template has that id)")
            ])
    }

    @Test func missingPartialCanBeAllowed() throws {
        let library = try TemplateLibrary.compile(["t": "[{{> nope}}]"], missingPartials: .renderNothing)
        let handle = try #require(library.template("t"))
        #expect(library.render(handle, root: JSONValueFixtures.empty) == Array("[]".utf8))
    }

    @Test func inheritanceIsReportedAsUnsupported() {
        #expect(
            errors(["t": "{{<base}}{{$title}}x{{/title}}{{/base}}"]) == [
                error("t", 1, 1, "tag '{{<base}}' uses template inheritance, which is not supported"),
                error("t", 1, 10, "tag '{{$title}}' uses template inheritance, which is not supported"),
            ])
    }

    @Test func columnsCountCharactersNotBytes() {
        #expect(
            errors(["t": "héllo → {{#x}}"]) == [
                error("t", 1, 9, "section 'x' opened at 1:9 is never closed")
            ])
    }

    @Test func everyProblemInEveryTemplateIsReported() {
        let found = errors([
            "hero/vip": "{{#offer}}\n{{> partials/cta}}\n",
            "partials/cta": "<a>{{ }}</a>\n{{> partials/missing}}",
            "footer": "{{=<% =}} {{#x}}{{/y}}",
            "fine": "{{> partials/cta}}",
        ])
        #expect(
            found == [
                error(
                    "footer", 1, 1,
                    "invalid set-delimiter tag '{{=<% =}}': expected two delimiters separated by a space, like {{=<% %>=}}"
                ),
                error("footer", 1, 11, "section 'x' opened at 1:11 is never closed"),
                error("footer", 1, 17, "closing tag '{{/y}}' does not match section 'x' opened at 1:11"),
                error("hero/vip", 1, 1, "section 'offer' opened at 1:1 is never closed"),
                error("partials/cta", 1, 4, "tag '{{ }}' has an empty name"),
                error("partials/cta", 2, 1, "partial 'partials/missing' does not exist (no template has that id)"),
            ])
    }

    @Test func errorDescriptionIsEditorFriendly() {
        let error = error("hero/vip", 3, 5, "section 'items' opened at 3:5 is never closed")
        #expect(error.description == "hero/vip:3:5: section 'items' opened at 3:5 is never closed")
    }
}
