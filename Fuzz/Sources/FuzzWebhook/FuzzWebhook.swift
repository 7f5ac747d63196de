import BundleCompiler
import Decision
import Foundation
import FuzzSupport
import JSON
import NIOCore
@testable import Server

/// CMS webhooks (`POST /v1/webhooks/cms`). The input's first line is the `Tessera-Signature` header, the
/// rest is the body. The header is verified against the body (secret `fuzz`, a fixed clock); the body's
/// change list is parsed and validated as the publisher does it: applied to the demo sources, compiled
/// against the whole bundle, made into an engine, problems attributed to their change.
/// Oracle: no crash; a header made by `WebhookSignature.sign` for this body verifies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let newline = input.firstIndex(of: 0x0A) ?? size
    let header = String(decoding: input[..<newline], as: UTF8.self)
    let body = Array(input[min(newline + 1, size)...])
    let now: Int64 = 1_795_600_800
    let signature = WebhookSignature(secrets: ["fuzz"])
    if !(KnownBugs.isListed("webhook/signature-skew-overflow") && skewOverflows(header, now: now)) {
        _ = try? signature.verify(header: header, body: body, now: now)
    }
    do {
        try signature.verify(header: WebhookSignature.sign(body: body, secret: "fuzz", time: now), body: body, now: now)
    } catch {
        FuzzInput.fail("a signature made for the body does not verify: \(error)")
    }

    var buffer = ByteBuffer()
    buffer.writeBytes(body)
    guard let (_, changes) = try? RequestRouter.changeSet(buffer) else { return 0 }
    let next: BundleSources
    let map: SourceMap
    do {
        (next, map) = try DemoContent.sources.applying(changes)
    } catch {
        return 0
    }
    do {
        let bundle = try BundleCompiler.compile(next, previous: DemoContent.bundle)
        _ = try DecisionEngine(bundle: bundle, revision: 2)
    } catch let problems as CompileProblems {
        _ = problems.problems.map(map.attribute)
    } catch {}
    return 0
}

/// Whether `now - t` overflows (or its `abs` does) for a `t=` in `header`: the known trap in
/// `WebhookSignature.verify` (`abs(now - timestamp)`), skipped while it is listed in KNOWN.
func skewOverflows(_ header: String, now: Int64) -> Bool {
    for part in header.split(separator: ",") {
        let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
        guard kv.count == 2, kv[0] == "t", let t = Int64(kv[1]) else { continue }
        let (difference, overflow) = now.subtractingReportingOverflow(t)
        if overflow || difference == .min { return true }
    }
    return false
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzWebhook_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
