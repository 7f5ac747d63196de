import JSON
import Templating
import Testing

@Suite("Mustache spec v1.3 core")
struct SpecTests {
    @Test("corpus loaded")
    func corpusLoaded() {
        #expect(SpecCorpus.all.count >= 130)
        #expect(!SpecCorpus.all.contains { $0.name.hasPrefix("LOAD FAILURE") })
    }

    @Test("spec case", arguments: SpecCorpus.all)
    func specCase(_ spec: SpecCase) throws {
        var sources = spec.partials
        sources[SpecCorpus.mainID] = spec.template
        let library: TemplateLibrary
        do {
            library = try TemplateLibrary.compile(sources)
        } catch {
            // Tessera makes a missing partial a compile error; the spec ("Failed Lookup") wants the
            // empty string, which is what the lenient policy renders.
            #expect(
                error.errors.allSatisfy { $0.message.hasPrefix("partial '") }, "\(spec.file): \(spec.name): \(error)")
            library = try TemplateLibrary.compile(sources, missingPartials: .renderNothing)
        }
        let handle = try #require(library.template(SpecCorpus.mainID))
        let output = String(decoding: library.render(handle, root: spec.data), as: UTF8.self)
        #expect(output == spec.expected, "\(spec.file): \(spec.name)")
    }
}
