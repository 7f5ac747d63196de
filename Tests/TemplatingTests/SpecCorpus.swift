import Foundation
import JSON
import Templating
import Testing

/// One test case of the official Mustache spec (github.com/mustache/spec, MIT licensed).
struct SpecCase: Sendable, CustomTestStringConvertible {
    var file: String
    var name: String
    var template: String
    var partials: [String: String]
    var data: JSONValue
    var expected: String

    var testDescription: String { "\(file): \(name)" }
}

/// Loads the spec JSON files copied into the test bundle (`resources: [.copy("Spec")]`).
enum SpecCorpus {
    static let files = ["comments", "delimiters", "interpolation", "inverted", "partials", "sections"]

    /// Every case of every file; a file that fails to load yields one case that fails loudly.
    static let all: [SpecCase] = files.flatMap(load)

    /// Id given to the spec's main template; partial names in the spec never collide with it.
    static let mainID = "spec/main"

    static func load(_ file: String) -> [SpecCase] {
        do {
            guard let url = Bundle.module.url(forResource: file, withExtension: "json", subdirectory: "Spec") else {
                return [broken(file, "resource Spec/\(file).json not found in the test bundle")]
            }
            let text = try String(contentsOf: url, encoding: .utf8)
            let root = try JSONValue.parse(text)
            guard case .array(let tests)? = root["tests"] else { return [broken(file, "no tests array")] }
            return tests.map { test in
                var partials: [String: String] = [:]
                if case .object(let members)? = test["partials"] {
                    for member in members {
                        if case .string(let source) = member.value { partials[member.key] = source }
                    }
                }
                return SpecCase(
                    file: file,
                    name: string(test["name"]),
                    template: string(test["template"]),
                    partials: partials,
                    data: test["data"] ?? .null,
                    expected: string(test["expected"])
                )
            }
        } catch {
            return [broken(file, "could not load: \(error)")]
        }
    }

    private static func string(_ value: JSONValue?) -> String {
        if case .string(let text)? = value { text } else { "" }
    }

    private static func broken(_ file: String, _ why: String) -> SpecCase {
        SpecCase(
            file: file, name: "LOAD FAILURE: \(why)", template: "", partials: [:], data: .null,
            expected: "<unreachable>")
    }
}
