/// Running FNV-1a 32-bit state.
///
/// GrowthBook's JavaScript SDK hashes UTF-16 code units (`charCodeAt`), so strings are fed as UTF-16;
/// for ASCII that is the same as hashing UTF-8 bytes.
struct FNV1a {
    private(set) var state: UInt32 = 0x811C_9DC5

    mutating func feed(_ unit: UInt32) {
        state = (state ^ unit) &* 0x0100_0193
    }

    mutating func feed(utf16Of string: String) {
        for unit in string.utf16 { feed(UInt32(unit)) }
    }

    /// Feeds UTF-8 text as its UTF-16 code units (malformed sequences as U+FFFD), without decoding to a String.
    mutating func feed(utf16OfUTF8 bytes: UnsafeRawBufferPointer) {
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            if lead < 0x80 {
                feed(UInt32(lead))
                i += 1
                continue
            }
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
            var scalar = UInt32(lead) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
            var valid = length > 0 && i + length <= bytes.count
            if valid {
                for j in 1..<length {
                    let byte = bytes[i + j]
                    if byte & 0xC0 != 0x80 {
                        valid = false
                        break
                    }
                    scalar = scalar << 6 | UInt32(byte & 0x3F)
                }
            }
            guard valid, let decoded = Unicode.Scalar(scalar) else {
                feed(0xFFFD)
                i += 1
                continue
            }
            for unit in UTF16.encode(decoded)! { feed(UInt32(unit)) }
            i += length
        }
    }

    /// Feeds the decimal spelling of `value` (`String(value)`), digit by digit.
    mutating func feed(decimal value: UInt32) {
        var divisor: UInt32 = 1_000_000_000
        while divisor > 1, value / divisor == 0 { divisor /= 10 }
        while divisor > 0 {
            feed(UInt32(UInt8(ascii: "0")) + value / divisor % 10)
            divisor /= 10
        }
    }
}
