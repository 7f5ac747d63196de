import Foundation
import FuzzSupport
import JSON
import Targeting

/// GrowthBook conditions. The input is `condition JSON \0 attributes JSON` (a missing or unparsable
/// attribute part evaluates against `{}`). A condition that compiles is evaluated against the
/// attributes, encoded with `JSONEncoder` (as the compiled bundle stores it), decoded and evaluated again.
/// Oracle: no crash; encoding a compiled condition succeeds; the decoded condition gives the same answer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let parts = FuzzInput.parts(FuzzInput.bytes(data, size), maxParts: 2)
    guard let source = parts[0].withUnsafeBytes({ try? JSONValue.parse($0) }),
        let condition = try? ConditionCompiler.compile(source)
    else { return 0 }
    let attributes = parts.count > 1 ? parts[1].withUnsafeBytes { try? JSONValue.parse($0) } : nil
    let scope = JSONConditionScope(attributes ?? .object([]), now: 1_795_600_800)
    let answer = condition.evaluate(in: scope)
    let encoded: Data
    do {
        encoded = try JSONEncoder().encode(condition)
    } catch {
        if KnownBugs.isListed("condition/string-range-literal-encodes-nan"), "\(error)".contains("nan") { return 0 }
        if KnownBugs.isListed("condition/infinite-literal-not-encodable"), "\(error)".contains("inf") { return 0 }
        FuzzInput.fail("a compiled condition cannot be encoded (the bundle could not be stored): \(error)")
    }
    let decoded: Condition
    do {
        decoded = try JSONDecoder().decode(Condition.self, from: encoded)
    } catch {
        FuzzInput.fail("an encoded condition does not decode: \(error)")
    }
    guard decoded.evaluate(in: scope) == answer else {
        FuzzInput.fail("the decoded condition answers \(!answer), the compiled one \(answer)")
    }
    return 0
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzCondition_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
