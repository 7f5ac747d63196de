import Decision
import FuzzSupport
import JSON
import NIOCore
@testable import Server

/// Profile delta bodies, as `POST /v1/profiles/deltas` reads them. The first byte picks NDJSON
/// (even) or "no content type" (odd: a JSON array when the body starts with `[`, else lines); the rest
/// is the body. Every parsed delta is applied, in order, to one profile at a fixed time, and the profile
/// goes through the record encoder and `ProfileView` after each delta.
/// The final profile is decided for every demo slot.
/// Oracle: no crash; the record round trip is byte-stable; the decide answer is JSON (`ProfileRoundTrip`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bundle = DemoContent.bundle
    var body = ByteBuffer()
    body.writeBytes(UnsafeRawBufferPointer(start: data + 1, count: size - 1))
    let contentType: String? = data[0] & 1 == 0 ? "application/x-ndjson" : nil
    guard let batch = try? DeltaBatch(body: body, contentType: contentType, bundle: bundle) else { return 0 }
    var profile = ProfileData(version: 1, consent: nil, segmentIDs: [], attributes: [])
    for entry in batch.entries {
        guard case .success(let delta) = entry.parsed else { continue }
        var next = profile
        do {
            try next.apply(delta, at: delta.time.isNaN ? DemoContent.now : delta.time)
        } catch {
            continue  // all or nothing: a rejected delta leaves the profile as it was
        }
        profile = ProfileRoundTrip.check(next)
    }
    // Conditions and templates over the fuzzed values.
    DemoContent.decide(DecisionRequest(user: "u1", slots: [], explain: true), record: profile.encode())
    return 0
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzDelta_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
