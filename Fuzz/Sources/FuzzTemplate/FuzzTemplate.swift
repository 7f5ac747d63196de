import Foundation
import FuzzSupport
import JSON
import Templating

/// Mustache. The input is `template a \0 template b \0 ... \0 data JSON`: up to four templates, with
/// ids `a`, `b`, `c`, `d` (so `{{> b}}` names one), and the data they are rendered with (`{}` when
/// missing or not JSON). Compiled with missing partials as errors (and, when that fails, as empty), each
/// template is rendered; the library is then encoded and decoded (as the bundle stores it) and rendered again.
/// Oracle: no crash; the decoded library renders exactly the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let parts = FuzzInput.parts(FuzzInput.bytes(data, size), maxParts: 5)
    let names = ["a", "b", "c", "d"]
    var sources: [String: String] = [:]
    let templateParts = parts.count > 1 ? parts.dropLast() : parts[...]
    for (i, part) in templateParts.enumerated() { sources[names[i]] = String(decoding: part, as: UTF8.self) }
    let root: JSONValue =
        parts.count > 1 ? (parts[parts.count - 1].withUnsafeBytes { try? JSONValue.parse($0) } ?? .object([])) : .object([])
    // Known: a cycle of partials with fan-out renders exponentially (until maxPartialDepth); skip rendering those.
    let render = !(KnownBugs.isListed("template/self-partial-twice-renders-exponentially") && hasPartialCycle(sources))
    for policy in [MissingPartialPolicy.error, .renderNothing] {
        guard let library = try? TemplateLibrary.compile(sources, missingPartials: policy) else { continue }
        guard render else { continue }
        let rendered = sources.keys.sorted().map { id in library.template(id).map { library.render($0, root: root, limits: limits) } }
        let decoded: TemplateLibrary
        do {
            decoded = try JSONDecoder().decode(TemplateLibrary.self, from: JSONEncoder().encode(library))
        } catch {
            FuzzInput.fail("a compiled template library does not survive JSONEncoder/JSONDecoder: \(error)")
        }
        let again = sources.keys.sorted().map { id in decoded.template(id).map { decoded.render($0, root: root, limits: limits) } }
        guard sameBytes(again, rendered) else { FuzzInput.fail("the decoded library renders differently") }
        // Every partial exists, so `.renderNothing` compiles the same library: the policy only decides
        // what a missing partial does (TemplateLibrary.compile). Half the run went into that repeat.
        if policy == .error { break }
    }
    return 0
}

/// A tenth of the server's render budget: the same cut-off code, a tenth of the work on inputs that reach
/// it (with the full budget, most of the time went into renders cut at 1 MiB).
let limits = RenderLimits(steps: TemplateLibrary.maxRenderSteps / 10, bytes: TemplateLibrary.maxRenderBytes / 16)

/// Compares renders with memcmp: an element-wise `==` over this module's code is instrumented per byte and
/// took a quarter of the run.
func sameBytes(_ a: [[UInt8]?], _ b: [[UInt8]?]) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        switch (x, y) {
        case (nil, nil): continue
        case let (x?, y?):
            guard x.count == y.count else { return false }
            let same = x.withUnsafeBytes { xp in y.withUnsafeBytes { yp in x.isEmpty || memcmp(xp.baseAddress!, yp.baseAddress!, x.count) == 0 } }
            guard same else { return false }
        default: return false
        }
    }
    return true
}

/// Whether the partials of `sources` (`{{> name}}` in the default delimiters; a template that changes
/// delimiters is taken to name every template) can reach a template from itself.
func hasPartialCycle(_ sources: [String: String]) -> Bool {
    var edges: [String: Set<String>] = [:]
    for (id, source) in sources {
        if source.contains("=") && source.contains(">") {
            edges[id] = Set(sources.keys)
            continue
        }
        var names: Set<String> = []
        var rest = source[...]
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            let tag = rest.prefix { $0 != "}" }
            let trimmed = tag.drop { $0 == " " || $0 == "\t" || $0 == "{" }
            if trimmed.first == ">" {
                names.insert(String(trimmed.dropFirst().filter { !$0.isWhitespace }))
            }
        }
        edges[id] = names
    }
    func reaches(_ from: String, _ target: String, _ seen: inout Set<String>) -> Bool {
        for next in edges[from] ?? [] {
            if next == target { return true }
            if seen.insert(next).inserted, reaches(next, target, &seen) { return true }
        }
        return false
    }
    return sources.keys.contains { id in
        var seen: Set<String> = []
        return reaches(id, id, &seen)
    }
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzTemplate_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
