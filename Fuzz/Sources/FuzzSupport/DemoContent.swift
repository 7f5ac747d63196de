import BundleCompiler
import Decision
import Foundation
import JSON

/// The demo bundle (Templates/ and Mappings/ of this repository), compiled once per process: the
/// schema, segments and templates that deltas, imports and bundle edits are checked against.
public enum DemoContent {
    /// The repository root, found from this file's path (Fuzz/Sources/FuzzSupport/DemoContent.swift)
    /// or `TESSERA_ROOT`.
    public static let root: String = {
        if let root = ProcessInfo.processInfo.environment["TESSERA_ROOT"] { return root }
        var url = URL(fileURLWithPath: "\(#filePath)")
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The demo sources.
    public static let sources: BundleSources = {
        do {
            return try BundleSources.load(templates: root + "/Templates", mappings: root + "/Mappings")
        } catch {
            fatalError("cannot load the demo sources under \(root): \(error)")
        }
    }()

    /// The demo sources compiled.
    public static let bundle: CompiledBundle = {
        do {
            return try BundleCompiler.compile(sources)
        } catch {
            fatalError("the demo sources do not compile: \(error)")
        }
    }()

    /// A fixed "now" (2026-11-25T10:00:00Z) so runs are reproducible.
    public static let now: Double = 1_795_600_800
}

extension DemoContent {
    /// A decision engine over the demo bundle.
    public static let engine: DecisionEngine = {
        do {
            return try DecisionEngine(bundle: bundle, revision: 1)
        } catch {
            fatalError("no engine for the demo bundle: \(error)")
        }
    }()

    /// Decides `request` (every demo slot when it names none) for the stored record `record` (`nil`:
    /// anonymous), with explanations. Oracle: the answer is JSON.
    public static func decide(_ request: DecisionRequest, record: [UInt8]?) {
        var request = request
        if request.slots.isEmpty { request.slots = bundle.slots.map(\.id) }
        if request.now.isNaN { request.now = now }
        var out: [UInt8] = []
        var scratch: [UInt8] = []
        var choices: [SlotChoice] = []
        func run(_ view: ProfileView?) {
            engine.decide(request, profile: view, into: &out, scratch: &scratch, choices: &choices)
        }
        if let record {
            record.withUnsafeBytes { run(ProfileView($0)) }
        } else {
            run(nil)
        }
        guard (try? out.withUnsafeBytes({ try JSONValue.parse($0) })) != nil else {
            FuzzInput.fail("a decide answer is not JSON: \(String(decoding: out, as: UTF8.self))")
        }
    }
}
