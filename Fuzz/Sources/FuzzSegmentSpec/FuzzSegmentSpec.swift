import Decision
import FuzzSupport
import JSON

/// Segment Spec calls (`POST /v1/ingest/segment`): one JSON document, a call or a `batch`. Each call is
/// converted against the demo schema and segments; the resulting delta is applied to one profile.
/// The final profile is decided for every demo slot.
/// Oracle: no crash; the record round trip is byte-stable; the decide answer is JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bundle = DemoContent.bundle
    guard let json = try? JSONValue.parse(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    var profile = ProfileData(version: 1, consent: nil, segmentIDs: [], attributes: [])
    for call in SegmentSpecMessage.calls(json) {
        guard let converted = try? SegmentSpecMessage.convert(call, bundle: bundle) else { continue }
        var next = profile
        let delta = converted.delta
        guard (try? next.apply(delta, at: delta.time.isNaN ? DemoContent.now : delta.time)) != nil else { continue }
        profile = ProfileRoundTrip.check(next)
    }
    // Conditions and templates over the fuzzed values.
    DemoContent.decide(DecisionRequest(user: "u1", slots: [], explain: true), record: profile.encode())
    return 0
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzSegmentSpec_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
