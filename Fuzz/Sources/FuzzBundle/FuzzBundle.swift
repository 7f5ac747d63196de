import BundleCompiler
import Decision
import Foundation
import FuzzSupport

/// Bundle YAML. The first byte picks which demo file the rest of the input replaces: a slot file (one of
/// the four, or a new `Mappings/slots/fuzz.yaml`), `segments.yaml` or `schema.yaml`. The sources are
/// compiled against the demo templates; a bundle that compiles is made into an engine and goes through
/// `JSONEncoder`/`JSONDecoder`, as the store keeps it.
/// Oracle: no crash; a compiled bundle can be stored (encoded) and read back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    var sources = DemoContent.sources
    let slotFiles = sources.slots.keys.sorted() + ["Mappings/slots/fuzz.yaml"]
    let pick = Int(data[0]) % (slotFiles.count + 2)
    switch pick {
    case slotFiles.count: sources.segments = text
    case slotFiles.count + 1: sources.schema = text
    default: sources.slots[slotFiles[pick]] = text
    }
    guard let bundle = try? BundleCompiler.compile(sources, previous: DemoContent.bundle) else { return 0 }
    _ = try? DecisionEngine(bundle: bundle, revision: 2)
    do {
        let stored = try JSONEncoder().encode(bundle)
        _ = try JSONDecoder().decode(CompiledBundle.self, from: stored)
    } catch {
        // The same bug as the condition target's, reached through a slot or segment condition.
        if KnownBugs.isListed("condition/string-range-literal-encodes-nan"), "\(error)".contains("nan") { return 0 }
        if KnownBugs.isListed("condition/infinite-literal-not-encodable"), "\(error)".contains("inf") { return 0 }
        FuzzInput.fail("a compiled bundle cannot be stored and read back: \(error)")
    }
    return 0
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzBundle_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
