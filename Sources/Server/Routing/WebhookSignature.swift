import Crypto
import Foundation

/// Verifies `Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
///
/// Several secrets may be configured at once so one can be rotated without downtime: a signature made with
/// any of them is accepted. Comparison is constant-time (swift-crypto's `isValidAuthenticationCode`).
struct WebhookSignature: Sendable {
    /// Largest clock difference accepted, seconds (older or newer signatures are treated as replays).
    static let tolerance: Int64 = 300

    /// Why a signature was refused.
    enum Failure: Error, Equatable {
        case missing
        case malformed
        case stale(skewSeconds: Int64)
        case mismatch

        var message: String {
            switch self {
            case .missing: return "missing Tessera-Signature header"
            case .malformed: return "Tessera-Signature must look like t=<unix seconds>,v1=<hex HMAC-SHA256>"
            case .stale(let skew):
                return
                    "signature timestamp is \(skew) s away from the server clock (limit \(WebhookSignature.tolerance) s): refused as a possible replay"
            case .mismatch: return "signature does not match the body with any configured secret"
            }
        }
    }

    // Raw bytes (SymmetricKey is not Sendable); a key is made per verification, which is cheap.
    let secrets: [[UInt8]]

    init(secrets: [String]) {
        self.secrets = secrets.map { Array($0.utf8) }
    }

    /// Accepts or refuses `header` for `body` at time `now` (unix seconds).
    func verify(header: String?, body: [UInt8], now: Int64) throws(Failure) {
        guard let header, !header.isEmpty else { throw .missing }
        var timestamp: Int64?
        var candidates: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw .malformed }
            switch kv[0] {
            case "t": timestamp = Int64(kv[1])
            case "v1":
                guard let mac = Self.hexBytes(kv[1]), mac.count == 32 else { throw .malformed }
                candidates.append(mac)
            default: continue
            }
        }
        guard let timestamp, !candidates.isEmpty else { throw .malformed }
        // `t` is the sender's to choose: `now - t` overflows for t near Int64.min (it was a remote crash).
        let (difference, overflow) = now.subtractingReportingOverflow(timestamp)
        guard !overflow, difference != .min else { throw .stale(skewSeconds: .max) }
        let skew = abs(difference)
        guard skew <= Self.tolerance else { throw .stale(skewSeconds: skew) }
        var message = Array(String(timestamp).utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        for secret in secrets {
            let key = SymmetricKey(data: secret)
            for mac in candidates where HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key)
            {
                return
            }
        }
        throw .mismatch
    }

    /// The header value for `body` signed with `secret` at `time` (for clients and tests).
    static func sign(body: [UInt8], secret: String, time: Int64) -> String {
        var message = Array(String(time).utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(time),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    static func hexBytes(_ s: Substring) -> [UInt8]? {
        guard s.utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let hi = QueryParameters.hex(a), let lo = QueryParameters.hex(b) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }
}
