import Foundation

/// What an exposure token says: one shown slot, for one user, at one time.
public struct ExposureClaims: Sendable, Equatable {
    /// When the slot was shown, whole epoch seconds.
    public var time: UInt32
    /// The revision that decided (low 32 bits).
    public var revision: UInt32
    /// Slot index in that revision.
    public var slot: UInt16
    /// Outcome index in that slot.
    public var outcome: UInt16
    /// Tells apart exposures of the same user, slot and second.
    public var nonce: UInt32
    /// ``OutcomeStore/userKey(_:)`` of the user it was shown to.
    public var user: UInt64

    /// Claims with the given fields.
    @inlinable
    public init(time: UInt32, revision: UInt32, slot: UInt16, outcome: UInt16, nonce: UInt32, user: UInt64) {
        self.time = time
        self.revision = revision
        self.slot = slot
        self.outcome = outcome
        self.nonce = nonce
        self.user = user
    }
}

/// Signs and checks exposure tokens: 37 bytes (version, the ``ExposureClaims``, 12 bytes of HMAC-SHA256 over
/// them) as 50 characters of unpadded base64url. The MAC covers every field, so a token cannot be forged, or
/// pointed at another slot, variant, time or user.
public struct ExposureTokenSigner: Sendable {
    static let version: UInt8 = 1
    static let payloadLength = 25
    static let macLength = 12
    /// Characters of a token.
    public static let tokenLength = 50

    private let hmac: HMACSHA256

    /// A signer with `secret` (at least 16 bytes).
    public init(secret: [UInt8]) {
        hmac = HMACSHA256(key: secret)
    }

    /// Appends the token for `claims` to `out` (base64url characters).
    public func append(_ claims: ExposureClaims, to out: inout [UInt8]) {
        // On the stack: payload, then the MAC's first bytes.
        withUnsafeTemporaryAllocation(byteCount: Self.payloadLength + Self.macLength, alignment: 8) { raw in
            Self.payload(claims, into: raw)
            hmac.withMAC(UnsafeRawBufferPointer(rebasing: raw[0..<Self.payloadLength])) { mac in
                UnsafeMutableRawBufferPointer(rebasing: raw[Self.payloadLength...]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: mac[0..<Self.macLength]))
            }
            Base64URL.append(UnsafeRawBufferPointer(raw), to: &out)
        }
    }

    /// The token for `claims` as a string.
    public func token(_ claims: ExposureClaims) -> String {
        var out: [UInt8] = []
        append(claims, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Why a token is refused.
    public enum Refusal: Error, Equatable {
        /// Not a token of this format.
        case malformed
        /// The MAC does not match: forged, altered, or signed with another secret.
        case badSignature
    }

    /// The claims of `token`, when it is one this signer made.
    public func verify(_ token: some StringProtocol) -> Result<ExposureClaims, Refusal> {
        guard token.utf8.count == Self.tokenLength, let raw = Base64URL.decode(token.utf8),
            raw.count == Self.payloadLength + Self.macLength, raw[0] == Self.version
        else { return .failure(.malformed) }
        let given = raw[Self.payloadLength...]
        let mac = hmac.mac(Array(raw[0..<Self.payloadLength]))
        // Constant time: compare every byte.
        var diff: UInt8 = 0
        for (i, b) in given.enumerated() { diff |= mac[i] ^ b }
        guard diff == 0 else { return .failure(.badSignature) }
        func u16(_ o: Int) -> UInt16 { UInt16(raw[o]) | UInt16(raw[o + 1]) << 8 }
        func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(raw[o + $1]) << (8 * UInt32($1)) } }
        func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(raw[o + $1]) << (8 * UInt64($1)) } }
        return .success(
            ExposureClaims(time: u32(1), revision: u32(5), slot: u16(9), outcome: u16(11), nonce: u32(13), user: u64(17)))
    }

    /// Writes the version and the claims, little-endian, into the first ``payloadLength`` bytes of `raw`.
    @inline(__always)
    static func payload(_ c: ExposureClaims, into raw: UnsafeMutableRawBufferPointer) {
        raw[0] = version
        raw.storeBytes(of: c.time.littleEndian, toByteOffset: 1, as: UInt32.self)
        raw.storeBytes(of: c.revision.littleEndian, toByteOffset: 5, as: UInt32.self)
        raw.storeBytes(of: c.slot.littleEndian, toByteOffset: 9, as: UInt16.self)
        raw.storeBytes(of: c.outcome.littleEndian, toByteOffset: 11, as: UInt16.self)
        raw.storeBytes(of: c.nonce.littleEndian, toByteOffset: 13, as: UInt32.self)
        raw.storeBytes(of: c.user.littleEndian, toByteOffset: 17, as: UInt64.self)
    }
}

/// Unpadded base64url (RFC 4648 §5).
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            if rest == 2 { out.append(alphabet[Int(n >> 6 & 63)]) }
        }
    }

    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        for c in text {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "_"): v = 63
            default: return nil
            }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero padding (one canonical text per token).
        guard bits < 6, acc & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
