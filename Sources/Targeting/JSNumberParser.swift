/// JavaScript's `ToNumber` applied to a string (what `"8" * 1` and `"8" < 10` see).
///
/// Whitespace is trimmed; the empty string is 0; `Infinity`, hex/octal/binary integers and decimal literals
/// are numbers; anything else is NaN. Never allocates for ordinary decimal text.
enum JSNumberParser {
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Double {
        var start = 0
        var end = bytes.count
        while start < end, let width = whitespaceWidth(bytes, at: start) { start += width }
        while end > start, let width = whitespaceWidthEnding(bytes, at: end) { end -= width }
        if start == end { return 0 }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        if text.count > 2, text[0] == UInt8(ascii: "0") {
            switch text[1] | 0x20 {
            case UInt8(ascii: "x"): return integer(text, from: 2, radix: 16)
            case UInt8(ascii: "o"): return integer(text, from: 2, radix: 8)
            case UInt8(ascii: "b"): return integer(text, from: 2, radix: 2)
            default: break
            }
        }
        return decimal(text)
    }

    private static func integer(_ text: UnsafeRawBufferPointer, from start: Int, radix: Int) -> Double {
        var result = 0.0
        for i in start..<text.count {
            let byte = text[i]
            let digit: Int
            switch byte {
            case 0x30...0x39: digit = Int(byte - 0x30)
            case 0x61...0x66: digit = Int(byte - 0x61 + 10)
            case 0x41...0x46: digit = Int(byte - 0x41 + 10)
            default: return .nan
            }
            if digit >= radix { return .nan }
            result = result * Double(radix) + Double(digit)
        }
        return result
    }

    private static func decimal(_ text: UnsafeRawBufferPointer) -> Double {
        var i = 0
        var negative = false
        if text[0] == UInt8(ascii: "+") || text[0] == UInt8(ascii: "-") {
            negative = text[0] == UInt8(ascii: "-")
            i = 1
        }
        if text.count - i == 8, equals(text, from: i, "Infinity") { return negative ? -.infinity : .infinity }
        var mantissa: UInt64 = 0
        var significant = 0
        var digitCount = 0
        var scale = 0
        var exact = true
        var seenPoint = false
        while i < text.count {
            let byte = text[i]
            if byte >= 0x30, byte <= 0x39 {
                digitCount += 1
                if mantissa == 0, byte == 0x30 {
                    if seenPoint { scale -= 1 }
                } else if significant < 19 {
                    mantissa = mantissa * 10 + UInt64(byte - 0x30)
                    significant += 1
                    if seenPoint { scale -= 1 }
                } else {
                    if byte != 0x30 { exact = false }
                    if !seenPoint { scale += 1 }
                }
            } else if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        if digitCount == 0 { return .nan }
        if i < text.count {
            guard text[i] | 0x20 == UInt8(ascii: "e") else { return .nan }
            i += 1
            var expNegative = false
            if i < text.count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
                expNegative = text[i] == UInt8(ascii: "-")
                i += 1
            }
            var exp = 0
            var expDigits = 0
            while i < text.count, text[i] >= 0x30, text[i] <= 0x39 {
                exp = min(exp * 10 + Int(text[i] - 0x30), 100_000)
                expDigits += 1
                i += 1
            }
            if expDigits == 0 || i < text.count { return .nan }
            scale += expNegative ? -exp : exp
        }
        if mantissa == 0 { return negative ? -0.0 : 0 }
        // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
        if exact, mantissa < (1 << 53), scale >= -22, scale <= 22 {
            let m = Double(mantissa)
            let value = scale < 0 ? m / powersOfTen[-scale] : m * powersOfTen[scale]
            return negative ? -value : value
        }
        return Double(String(decoding: text, as: UTF8.self)) ?? .nan
    }

    private static let powersOfTen: [Double] = (0...22).map { p in
        var value = 1.0
        for _ in 0..<p { value *= 10 }
        return value
    }

    private static func equals(_ text: UnsafeRawBufferPointer, from start: Int, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard text.count - start == count else { return false }
        let pointer = word.utf8Start
        for j in 0..<count where text[start + j] != pointer[j] { return false }
        return true
    }

    /// The byte width of a JS WhiteSpace/LineTerminator starting at `i`, or nil.
    static func whitespaceWidth(_ b: UnsafeRawBufferPointer, at i: Int) -> Int? {
        switch b[i] {
        case 0x09...0x0D, 0x20: return 1
        case 0xC2: return i + 1 < b.count && b[i + 1] == 0xA0 ? 2 : nil
        default: break
        }
        guard i + 2 < b.count else { return nil }
        switch (b[i], b[i + 1], b[i + 2]) {
        case (0xE1, 0x9A, 0x80), (0xE2, 0x80, 0x80...0x8A), (0xE2, 0x80, 0xA8), (0xE2, 0x80, 0xA9),
            (0xE2, 0x80, 0xAF), (0xE2, 0x81, 0x9F), (0xE3, 0x80, 0x80), (0xEF, 0xBB, 0xBF):
            return 3
        default: return nil
        }
    }

    /// The byte width of a JS WhiteSpace/LineTerminator ending just before `end`, or nil.
    static func whitespaceWidthEnding(_ b: UnsafeRawBufferPointer, at end: Int) -> Int? {
        if end >= 1, (0x09...0x0D).contains(b[end - 1]) || b[end - 1] == 0x20 { return 1 }
        if end >= 2, whitespaceWidth(b, at: end - 2) == 2 { return 2 }
        if end >= 3, whitespaceWidth(b, at: end - 3) == 3 { return 3 }
        return nil
    }
}
