import FuzzSupport
import JSON

/// JSON parser. Oracle: no crash; a document the parser accepts is written by `JSONWriter` as text the
/// parser accepts again, giving an equal value (and an equal hash); the writer's output is a fixed point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    guard let value = try? JSONValue.parse(raw) else { return 0 }
    if KnownBugs.isListed("json/number-overflows-to-infinity"), hasNonFiniteNumber(value) { return 0 }
    var written: [UInt8] = []
    JSONWriter.append(value, to: &written)
    let again: JSONValue
    do {
        again = try written.withUnsafeBytes { try JSONValue.parse($0) }
    } catch {
        FuzzInput.fail("the parser rejects JSONWriter's output \(String(decoding: written, as: UTF8.self)): \(error)")
    }
    guard again == value, again.hashValue == value.hashValue else {
        FuzzInput.fail("parse → write → parse changed the value: \(String(decoding: written, as: UTF8.self))")
    }
    var rewritten: [UInt8] = []
    JSONWriter.append(again, to: &rewritten)
    guard rewritten == written else { FuzzInput.fail("JSONWriter's output is not a fixed point") }
    // The String entry point must agree with the byte one.
    let text = String(decoding: raw, as: UTF8.self)
    if text.utf8.elementsEqual(raw), (try? JSONValue.parse(text)) != value {
        FuzzInput.fail("JSONValue.parse(String) disagrees with JSONValue.parse(bytes)")
    }
    return 0
}

/// Whether `value` holds a number that is not finite (a literal such as `1e400` out of `Double`'s range).
func hasNonFiniteNumber(_ value: JSONValue) -> Bool {
    switch value {
    case .number(let n): return !n.isFinite
    case .array(let elements): return elements.contains(where: hasNonFiniteNumber)
    case .object(let members): return members.contains { hasNonFiniteNumber($0.value) }
    default: return false
    }
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzJSON_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
