import Foundation
import FuzzSupport
import JSON
import Templating

/// Mustache. The input is `template a \0 template b \0 ... \0 data JSON`: up to four templates, with
/// ids `a`, `b`, `c`, `d` (so `{{> b}}` names one), and the data they are rendered with (`{}` when
/// missing or not JSON). Compiled with missing partials as errors and as empty, each template is
/// rendered; the library is then encoded and decoded (as the bundle stores it) and rendered again.
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
    for policy in [MissingPartialPolicy.error, .renderNothing] {
        guard let library = try? TemplateLibrary.compile(sources, missingPartials: policy) else { continue }
        let rendered = sources.keys.sorted().map { id in library.template(id).map { library.render($0, root: root) } }
        let decoded: TemplateLibrary
        do {
            decoded = try JSONDecoder().decode(TemplateLibrary.self, from: JSONEncoder().encode(library))
        } catch {
            FuzzInput.fail("a compiled template library does not survive JSONEncoder/JSONDecoder: \(error)")
        }
        let again = sources.keys.sorted().map { id in decoded.template(id).map { decoded.render($0, root: root) } }
        guard again == rendered else { FuzzInput.fail("the decoded library renders differently") }
    }
    return 0
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzTemplate_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
