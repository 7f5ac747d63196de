/// JavaScript's `String.prototype.toLowerCase()`, on UTF-8 text.
///
/// `toLowerCase` applies Unicode's full lowercase mappings without locale (so "İ" becomes "i̇", two scalars,
/// and "ß" stays "ß") and one context rule: a capital sigma at the end of a word becomes final "ς". Swift's
/// `lowercased()` has the same mappings but not the context rule, so this walks the scalars itself. ASCII
/// text, the usual case, is folded byte by byte without allocating (see ``asciiFolded(_:_:)``).
enum JSCaseFolding {
    /// `String(decoding: bytes).toLowerCase()` as UTF-8 (malformed sequences read as U+FFFD).
    static func lowercased(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        if isASCII(bytes) { return bytes.map(asciiLower) }
        return lowercased(String(decoding: bytes, as: UTF8.self))
    }

    /// `string.toLowerCase()` as UTF-8.
    static func lowercased(_ string: String) -> [UInt8] {
        let scalars = Array(string.unicodeScalars)
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for (i, scalar) in scalars.enumerated() {
            if scalar.isASCII {
                out.append(asciiLower(UInt8(scalar.value)))
            } else if scalar == "\u{03A3}" {
                let final = isFinalSigma(scalars, at: i)
                out.append(contentsOf: (final ? "\u{03C2}" : "\u{03C3}").utf8)
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
            }
        }
        return out
    }

    /// Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorable scalars) and none after.
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var before = false
        var i = index - 1
        while i >= 0 {
            let p = scalars[i].properties
            if p.isCaseIgnorable {
                i -= 1
                continue
            }
            before = p.isCased
            break
        }
        guard before else { return false }
        var j = index + 1
        while j < scalars.count {
            let p = scalars[j].properties
            if p.isCaseIgnorable {
                j += 1
                continue
            }
            return !p.isCased
        }
        return true
    }

    /// Whether every byte is ASCII (then lowercasing is byte by byte, and can never produce non-ASCII).
    @inline(__always)
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    @inline(__always)
    static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Whether ASCII `bytes`, lowercased, equal `folded` (already lowercased).
    @inline(__always)
    static func asciiFolded(_ bytes: UnsafeRawBufferPointer, _ folded: [UInt8]) -> Bool {
        guard bytes.count == folded.count else { return false }
        for i in 0..<bytes.count where asciiLower(bytes[i]) != folded[i] { return false }
        return true
    }

    /// Whether `value.toLowerCase()` equals `folded` (already lowercased), allocating only for non-ASCII text.
    static func foldedEquals(_ bytes: UnsafeRawBufferPointer, _ folded: [UInt8]) -> Bool {
        if isASCII(bytes) { return asciiFolded(bytes, folded) }
        return lowercased(bytes) == folded
    }
}
