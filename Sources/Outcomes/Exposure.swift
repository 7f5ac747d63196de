public import Decision

/// One shown slot: who saw which outcome of which slot, when, in which revision, while in which segments.
///
/// A fixed-size record (``Exposure/stride`` bytes, the user id inline) so the request path only copies bytes
/// into its loop's ``ExposureRing``; names are resolved later through the revision's ``OutcomeCatalog``.
public struct Exposure: Sendable, Equatable {
    /// When it was shown, epoch seconds.
    public var time: Double
    /// The bundle revision that decided.
    public var revision: UInt64
    /// Slot index in that revision.
    public var slot: UInt16
    /// Outcome index in that slot (``SlotChoice/outcome``).
    public var outcome: UInt16
    /// Distinguishes exposures of the same user, slot and time (carried by the exposure token).
    public var nonce: UInt32
    /// The user's segments at that moment (bits of that revision).
    public var segments: SegmentSet
    /// The user id's UTF-8 bytes (at most ``maxUserLength``).
    public var user: [UInt8]

    /// Longest user id a record holds (the decide API's limit).
    public static let maxUserLength = 256
    /// Bytes of one record: a 64-byte header, then the user id.
    public static let stride = 64 + maxUserLength

    /// An exposure.
    public init(
        time: Double, revision: UInt64, slot: UInt16, outcome: UInt16, nonce: UInt32, segments: SegmentSet,
        user: [UInt8]
    ) {
        self.time = time
        self.revision = revision
        self.slot = slot
        self.outcome = outcome
        self.nonce = nonce
        self.segments = segments
        self.user = user
    }

    /// Writes a record at `p` (``stride`` bytes) without building an ``Exposure``: the request path's form.
    /// A user id longer than ``maxUserLength`` is cut (the API refuses those before deciding).
    @inline(__always)
    static func write(
        to p: UnsafeMutableRawPointer, time: Double, revision: UInt64, slot: Int, outcome: Int, nonce: UInt32,
        segments: SegmentSet, user: UnsafeRawBufferPointer
    ) {
        p.storeBytes(of: time.bitPattern, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: revision, toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: UInt16(truncatingIfNeeded: slot), toByteOffset: 16, as: UInt16.self)
        p.storeBytes(of: UInt16(truncatingIfNeeded: outcome), toByteOffset: 18, as: UInt16.self)
        let n = min(user.count, maxUserLength)
        p.storeBytes(of: UInt16(n), toByteOffset: 20, as: UInt16.self)
        p.storeBytes(of: nonce, toByteOffset: 24, as: UInt32.self)
        let w = segments.words
        p.storeBytes(of: w.0, toByteOffset: 32, as: UInt64.self)
        p.storeBytes(of: w.1, toByteOffset: 40, as: UInt64.self)
        p.storeBytes(of: w.2, toByteOffset: 48, as: UInt64.self)
        p.storeBytes(of: w.3, toByteOffset: 56, as: UInt64.self)
        if n > 0, let base = user.baseAddress { (p + 64).copyMemory(from: base, byteCount: n) }
    }

    /// Reads the record at `p` (as ``write(to:time:revision:slot:outcome:nonce:segments:user:)`` left it).
    init(record p: UnsafeRawPointer) {
        time = Double(bitPattern: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        revision = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        slot = p.loadUnaligned(fromByteOffset: 16, as: UInt16.self)
        outcome = p.loadUnaligned(fromByteOffset: 18, as: UInt16.self)
        let n = min(Int(p.loadUnaligned(fromByteOffset: 20, as: UInt16.self)), Self.maxUserLength)
        nonce = p.loadUnaligned(fromByteOffset: 24, as: UInt32.self)
        segments = SegmentSet(
            words: (
                p.loadUnaligned(fromByteOffset: 32, as: UInt64.self), p.loadUnaligned(fromByteOffset: 40, as: UInt64.self),
                p.loadUnaligned(fromByteOffset: 48, as: UInt64.self), p.loadUnaligned(fromByteOffset: 56, as: UInt64.self)
            ))
        user = Array(UnsafeRawBufferPointer(start: p + 64, count: n))
    }

    /// The stored form (the decision log's value): the header and only the user id's bytes.
    var encoded: [UInt8] {
        var out = [UInt8](repeating: 0, count: 64 + user.count)
        out.withUnsafeMutableBytes { b in
            user.withUnsafeBytes { u in
                Self.write(
                    to: b.baseAddress!, time: time, revision: revision, slot: Int(slot), outcome: Int(outcome),
                    nonce: nonce, segments: segments, user: u)
            }
        }
        return out
    }

    /// Reads the stored form; `nil` when `raw` is not one.
    init?(encoded raw: UnsafeRawBufferPointer) {
        guard raw.count >= 64, let base = raw.baseAddress else { return nil }
        let n = Int(raw.loadUnaligned(fromByteOffset: 20, as: UInt16.self))
        guard n <= Self.maxUserLength, raw.count == 64 + n else { return nil }
        self.init(record: base)
    }

    /// The user id as text.
    public var userID: String { String(decoding: user, as: UTF8.self) }
}
