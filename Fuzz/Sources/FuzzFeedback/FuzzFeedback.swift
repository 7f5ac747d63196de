import Decision
import FuzzSupport
@testable import Outcomes

/// Exposure tokens and their base64url. The input is a token text: it is verified (no crash, whatever the
/// bytes); if it is accepted, signing its claims again gives the same text. Then the input's first bytes are
/// taken as claims, signed, and verified.
/// Oracle: no crash; sign/verify round-trips; every one-character change of a signed token is refused;
/// base64url decoding of an encoding gives the bytes back.
let signer = ExposureTokenSigner(secret: Array("fuzz-exposure-secret".utf8))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    if case .success(let claims) = signer.verify(text), signer.token(claims) != text {
        FuzzInput.fail("an accepted token does not sign back to itself: \(text)")
    }
    var out: [UInt8] = []
    bytes.withUnsafeBytes { Base64URL.append($0, to: &out) }
    guard Base64URL.decode(out) == bytes else { FuzzInput.fail("base64url does not round-trip \(bytes)") }
    guard bytes.count >= 24 else { return 0 }
    func u(_ o: Int, _ n: Int) -> UInt64 { (0..<n).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) } }
    let claims = ExposureClaims(
        time: UInt32(u(0, 4)), revision: UInt32(u(4, 4)), slot: UInt16(u(8, 2)), outcome: UInt16(u(10, 2)),
        nonce: UInt32(u(12, 4)), user: u(16, 8))
    let token = signer.token(claims)
    guard signer.verify(token) == .success(claims) else { FuzzInput.fail("a signed token is refused: \(token)") }
    var chars = Array(token.utf8)
    let at = Int(bytes[0]) % chars.count
    chars[at] = chars[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    if case .success = signer.verify(String(decoding: chars, as: UTF8.self)) {
        FuzzInput.fail("a changed token is accepted: \(token) at \(at)")
    }
    return 0
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzFeedback_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
