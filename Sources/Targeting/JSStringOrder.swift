/// JavaScript's string ordering (`"a" < "b"`) on UTF-8 bytes.
///
/// JS compares UTF-16 code units; UTF-8 byte order is code point order, which differs only where a
/// supplementary character (a surrogate pair, 0xD800...) meets U+E000...U+FFFF. So bytes are compared
/// directly and only the first differing code point is looked at in UTF-16 terms.
enum JSStringOrder {
    /// -1, 0 or 1 as `a` sorts before, equal to or after `b`.
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        var i = 0
        while i < common, a[i] == b[i] { i += 1 }
        if i == common { return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1) }
        var start = i
        while start > 0, a[start] & 0xC0 == 0x80 { start -= 1 }
        let x = decode(a, at: start)
        let y = decode(b, at: start)
        guard let x, let y else { return a[i] < b[i] ? -1 : 1 }
        let ux = firstUnit(x)
        let uy = firstUnit(y)
        if ux != uy { return ux < uy ? -1 : 1 }
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    private static func firstUnit(_ scalar: UInt32) -> UInt32 {
        scalar < 0x10000 ? scalar : 0xD800 + ((scalar - 0x10000) >> 10)
    }

    /// The code point starting at `i`, or nil for malformed UTF-8.
    private static func decode(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt32? {
        let lead = b[i]
        let length: Int
        var scalar: UInt32
        switch lead {
        case 0x00...0x7F: return UInt32(lead)
        case 0xC0...0xDF:
            length = 2
            scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF7:
            length = 4
            scalar = UInt32(lead & 0x07)
        default: return nil
        }
        guard i + length <= b.count else { return nil }
        for j in 1..<length {
            let byte = b[i + j]
            guard byte & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        return scalar
    }
}
