/// JavaScript's `Number.prototype.toString()` for doubles (what `value + ""` yields).
///
/// Swift's `description` already produces the shortest round-tripping digits; only the layout differs
/// (`1.0` vs `1`, `1e-07` vs `1e-7`, `1e+16` vs `10000000000000000`), so this re-lays those digits out
/// by ECMAScript's Number::toString rules.
enum JSNumberFormat {
    static func string(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return "0" }
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var pointPosition = -1
        var exponent = 0
        var inExponent = false
        var exponentNegative = false
        for byte in value.magnitude.description.utf8 {
            if inExponent {
                if byte == UInt8(ascii: "-") {
                    exponentNegative = true
                } else if byte >= 0x30, byte <= 0x39 {
                    exponent = exponent * 10 + Int(byte - 0x30)
                }
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                inExponent = true
            } else if byte == UInt8(ascii: ".") {
                pointPosition = digits.count
            } else {
                digits.append(byte)
            }
        }
        if pointPosition < 0 { pointPosition = digits.count }
        if exponentNegative { exponent = -exponent }
        var leading = 0
        while leading < digits.count - 1, digits[leading] == UInt8(ascii: "0") { leading += 1 }
        digits.removeFirst(leading)
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        // value = 0.d1d2...dk × 10^n
        let n = pointPosition + exponent - leading
        let k = digits.count
        var out: [UInt8] = value < 0 ? [UInt8(ascii: "-")] : []
        if k <= n, n <= 21 {
            out += digits
            out += repeatElement(UInt8(ascii: "0"), count: n - k)
        } else if 0 < n, n <= 21 {
            out += digits[0..<n]
            out.append(UInt8(ascii: "."))
            out += digits[n...]
        } else if -6 < n, n <= 0 {
            out += Array("0.".utf8)
            out += repeatElement(UInt8(ascii: "0"), count: -n)
            out += digits
        } else {
            out.append(digits[0])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out += digits[1...]
            }
            out.append(UInt8(ascii: "e"))
            out.append(n - 1 >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            out += Array(String((n - 1).magnitude).utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
