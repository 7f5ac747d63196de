import Decision
import FuzzSupport
import JSON

/// `tessera import` lines (NDJSON profile snapshots), parsed as `ProfileImporter` parses them. The first
/// byte picks the mode (merge or replace); each line's snapshot is laid over the profile stored for its
/// id so far, as the importer does with the stored record.
/// Up to two of the resulting profiles are decided for every demo slot.
/// Oracle: no crash; the record round trip is byte-stable; the decide answer is JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bundle = DemoContent.bundle
    let mode: ProfileSnapshot.Mode = data[0] & 1 == 0 ? .merge : .replace
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    var stored: [String: ProfileData] = [:]
    for line in input.split(separator: 0x0A) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
        guard let json = try? JSONValue.parse(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line))),
            let snapshot = try? ProfileSnapshot.parse(json, bundle: bundle),
            var profile = try? snapshot.profile(over: stored[snapshot.id], mode: mode)
        else { continue }
        profile.version = (stored[snapshot.id]?.version ?? 0) + 1
        stored[snapshot.id] = ProfileRoundTrip.check(profile)
    }
    for (id, profile) in stored.prefix(2) {
        DemoContent.decide(DecisionRequest(user: id, slots: [], explain: true), record: profile.encode())
    }
    return 0
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzImport_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
