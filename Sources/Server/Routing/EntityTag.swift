import Decision
import JSON

/// The `ETag` of a decide or fragment answer: a 64-bit digest (FNV-1a style, eight bytes per step) of the answer
/// and what it was made from.
///
/// It digests the engine's revision, the profile's version (bumped on every write) or its absence, the request's
/// user, slots, context parameters and `explain` flag, the outcome chosen for each slot, and the answer's bytes
/// themselves. The answer is digested because a decision also depends on the clock (time-window segments, expiring
/// memberships): the same inputs can give a different answer later, and the tag must change with it.
/// Context parameters are digested sorted by name (the first value of a repeated name wins, as in decisions),
/// so `?device=m&country=DE` and `?country=DE&device=m` share a tag. Every part is length-prefixed.
struct EntityTag: Equatable {
    /// How much of the profile an answer used.
    enum ProfileUse {
        /// No profile under this id: decided as anonymous from the request alone.
        case anonymous
        /// A profile that withheld personalization consent: defaults only, no profile data read.
        case withoutConsent
        /// Profile data was read.
        case personalized
    }

    /// The digest.
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// A tag for `route` ("decide" or "slot") at `revision`.
    init(route: StaticString, revision: UInt64) {
        route.withUTF8Buffer { combine(UnsafeRawBufferPointer($0)) }
        combine(revision)
    }

    /// Adds raw bytes, length first, eight bytes per step (a byte-wise loop cost 7% of a decide under load).
    mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        combine(UInt64(bytes.count))
        var h = value
        var i = 0
        while i + 8 <= bytes.count {
            h ^= bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h &*= 0x0000_0100_0000_01b3
            h ^= h >> 29
            i += 8
        }
        while i < bytes.count {
            h ^= UInt64(bytes[i])
            h &*= 0x0000_0100_0000_01b3
            i += 1
        }
        value = h
    }

    /// Adds the answer's bytes.
    mutating func combine(answer: [UInt8]) {
        answer.withUnsafeBytes { combine($0) }
    }

    /// Adds the answer's bytes except those in `skipping` (sorted, inside the answer): the exposure tokens,
    /// which differ per answer while the content they point at does not.
    mutating func combine(answer: [UInt8], skipping: [Range<Int>]) {
        guard !skipping.isEmpty else { return combine(answer: answer) }
        answer.withUnsafeBytes { all in
            var at = 0
            for r in skipping where r.lowerBound >= at && r.upperBound <= all.count {
                combine(UnsafeRawBufferPointer(rebasing: all[at..<r.lowerBound]))
                at = r.upperBound
            }
            combine(UnsafeRawBufferPointer(rebasing: all[at...]))
        }
    }

    /// Adds an integer (8 bytes, little-endian).
    mutating func combine(_ n: UInt64) {
        var h = value
        var v = n
        for _ in 0..<8 {
            h ^= v & 0xff
            h &*= 0x0000_0100_0000_01b3
            v >>= 8
        }
        value = h
    }

    /// Adds a string's UTF-8 bytes.
    mutating func combine(_ s: String) {
        var s = s
        s.withUTF8 { combine(UnsafeRawBufferPointer($0)) }
    }

    /// Adds the stored profile record (all of it, version included) and returns how the answer may use it.
    mutating func combine(profile: ProfileView?) -> ProfileUse {
        guard let profile else {
            combine(0)
            return .anonymous
        }
        if profile.consent == false {
            // Without consent nothing but the consent flag itself shapes the answer.
            combine(1)
            return .withoutConsent
        }
        combine(2)
        combine(profile.version)
        return .personalized
    }

    /// Adds the request's parameters in normal form.
    mutating func combine(user: String, slots: [String], context: RequestContext, explain: Bool) {
        combine(user)
        combine(UInt64(slots.count))
        for s in slots { combine(s) }
        combine(explain ? 1 : 0)
        combine(UInt64(context.values.count))
        for (name, value) in context.values.sorted(by: { $0.key < $1.key }) {
            combine(name)
            if case .string(let text) = value {
                combine(0)
                combine(text)
            } else {
                combine(1)
                combine(value.jsonText)
            }
        }
    }

    /// Adds the outcome chosen for each slot.
    mutating func combine(_ choices: [SlotChoice]) {
        combine(UInt64(choices.count))
        for c in choices {
            combine(UInt64(bitPattern: Int64(c.slot)))
            combine(UInt64(c.outcome))
        }
    }

    /// The header value: a strong tag, `"t1-<16 hex digits>"` (the digest is byte-exact for a byte-exact answer).
    var headerValue: String {
        let hex = String(value, radix: 16)
        return "\"t1-" + String(repeating: "0", count: 16 - hex.utf8.count) + hex + "\""
    }

    /// Whether an `If-None-Match` field value matches this tag: `*`, or any listed tag with the same opaque value
    /// (the weak comparison RFC 9110 prescribes for `If-None-Match`, so `W/"..."` matches too).
    func matches(ifNoneMatch field: String) -> Bool {
        let mine = headerValue
        for item in field.split(separator: ",") {
            var t = item.drop(while: { $0 == " " || $0 == "\t" })
            while let last = t.last, last == " " || last == "\t" { t = t.dropLast() }
            if t == "*" { return true }
            if t.hasPrefix("W/") { t = t.dropFirst(2) }
            if t == mine { return true }
        }
        return false
    }
}
