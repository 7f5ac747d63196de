import BundleCompiler
import Decision
import Foundation
import JSON

/// The repository root (for the demo bundle in Templates/ and Mappings/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The demo bundle, compiled.
func demoBundle() throws -> CompiledBundle {
    let sources = try BundleSources.load(
        templates: repositoryRoot + "/Templates", mappings: repositoryRoot + "/Mappings")
    return try BundleCompiler.compile(sources)
}

/// Encodes a profile given as JSON (import format) against `bundle`.
func record(_ json: String, bundle: CompiledBundle) throws -> [UInt8] {
    try ProfileInput.parse(try JSONValue.parse(json), bundle: bundle, version: 1).profile.encode()
}

/// Decides with `engine` for a profile record (or none) and returns the parsed response.
func decide(
    _ engine: DecisionEngine, user: String = "u1", record: [UInt8]?, slots: [String],
    context: [(key: String, value: JSONValue)] = [], explain: Bool = false
) throws -> JSONValue {
    var out: [UInt8] = []
    var scratch: [UInt8] = []
    var choices: [SlotChoice] = []
    let request = DecisionRequest(user: user, slots: slots, context: RequestContext(context), explain: explain)
    if let record {
        record.withUnsafeBytes { raw in
            engine.decide(request, profile: ProfileView(raw), into: &out, scratch: &scratch, choices: &choices)
        }
    } else {
        engine.decide(request, profile: nil, into: &out, scratch: &scratch, choices: &choices)
    }
    return try JSONValue.parse(String(decoding: out, as: UTF8.self))
}

/// A bundle from inline sources.
func inlineBundle(templates: [String: String], schema: String, segments: String, slots: [String: String]) throws
    -> CompiledBundle
{
    try BundleCompiler.compile(BundleSources(templates: templates, schema: schema, segments: segments, slots: slots))
}

/// The demo bundle's sources.
func demoSources() throws -> BundleSources {
    try BundleSources.load(templates: repositoryRoot + "/Templates", mappings: repositoryRoot + "/Mappings")
}

/// Compiles `sources`.
func compile(_ sources: BundleSources) throws -> CompiledBundle {
    try BundleCompiler.compile(sources)
}
