import Decision
import FuzzSupport
import JSON
import NIOCore
@testable import Server

/// Query strings. The input is a request target (`/v1/decide?user=u1&slots=home.hero&device=mobile`)
/// split into path and query by `HTTPRequest`; the query is parsed by `QueryParameters` and, as
/// `GET /v1/decide` does, into a `DecisionRequest`, which is decided on the demo bundle for an anonymous user.
/// Oracle: no crash; percent-encoding every parsed pair and parsing again gives the same pairs; the decide
/// answer is JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let target = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let request = HTTPRequest(method: "GET", target: target, headers: [], body: ByteBuffer())
    let parameters = QueryParameters(request.query)
    let encoded = parameters.pairs.map { percentEncode($0.name) + "=" + percentEncode($0.value) }
        .joined(separator: "&")
    let again = QueryParameters(encoded)
    guard again.pairs.elementsEqual(parameters.pairs, by: { $0.name == $1.name && $0.value == $1.value }) else {
        FuzzInput.fail("percent-encoded pairs parse differently: \(encoded)")
    }
    _ = QueryParameters.decode(request.path[...])
    guard let decision = try? RequestRouter.decisionFromQuery(request.query) else { return 0 }
    DemoContent.decide(decision, record: nil)
    return 0
}

/// Every byte outside `[A-Za-z0-9._~-]` as `%XX`.
func percentEncode(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
            UInt8(ascii: "-"):
            out.unicodeScalars.append(Unicode.Scalar(b))
        default:
            let hex = Array("0123456789ABCDEF".unicodeScalars)
            out += "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 0xF)])
        }
    }
    return out
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzQuery_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
