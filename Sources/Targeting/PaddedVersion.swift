/// GrowthBook's `paddedVersionString`, which makes versions comparable as plain strings.
///
/// `"v1.2.3-rc.1+build"` drops the leading `v` and the build suffix, splits on `-` and `.`, appends `~`
/// to a bare `x.y.z` (so a release sorts after its pre-releases) and left-pads all-digit parts with spaces
/// to width 5, then joins with `-`: `"    1-    2-    3-rc-    1"`.
enum PaddedVersion {
    /// The padded form of `text` (UTF-8), as bytes.
    static func padded(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: capacity(forInputCount: max(text.count, 1)))
        let count = out.withUnsafeMutableBytes { write(text, into: $0) }
        out.removeLast(out.count - count)
        return out
    }

    /// The padded form of an operand as GrowthBook sees it: numbers in their JS spelling, empty text as "0".
    static func padded(string: String) -> [UInt8] {
        var text = string.isEmpty ? "0" : string
        return text.withUTF8 { padded(UnsafeRawBufferPointer($0)) }
    }

    /// Orders the padded form of `value` (GrowthBook's `paddedVersionString(actual)`) against `expected`,
    /// building it in a stack buffer: -1, 0 or 1.
    static func compare<V: ConditionValue>(_ value: V, to expected: [UInt8]) -> Int {
        switch value.kind {
        case .string:
            return value.withUTF8 { bytes in
                bytes.isEmpty ? compareText(zero, expected) : compareText(bytes, expected)
            }
        case .number:
            var text = JSNumberFormat.string(value.numberValue)
            return text.withUTF8 { compareText(UnsafeRawBufferPointer($0), expected) }
        default:
            return compareText(zero, expected)
        }
    }

    private static var zero: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: ("0" as StaticString).utf8Start, count: 1)
    }

    private static func compareText(_ text: UnsafeRawBufferPointer, _ expected: [UInt8]) -> Int {
        withUnsafeTemporaryAllocation(byteCount: capacity(forInputCount: text.count), alignment: 1) { buffer in
            let count = write(text, into: buffer)
            return expected.withUnsafeBytes {
                JSStringOrder.compare(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), $0)
            }
        }
    }

    /// An upper bound of the padded length: each byte can become a 5-wide part, plus `-~`.
    private static func capacity(forInputCount count: Int) -> Int { count * 5 + 2 }

    /// Writes the padded form of `text` into `out` and returns its length.
    private static func write(_ text: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        // `replace(/(^v|\+.*$)/g, "")`: `.` stops at line terminators, so the build suffix starts at the
        // first `+` after the last line terminator.
        let start = text.first == UInt8(ascii: "v") ? 1 : 0
        var lastTerminator = -1
        var i = 0
        while i < text.count {
            if text[i] == 0x0A || text[i] == 0x0D { lastTerminator = i }
            if text[i] == 0xE2, i + 2 < text.count, text[i + 1] == 0x80, text[i + 2] == 0xA8 || text[i + 2] == 0xA9 {
                lastTerminator = i + 2
            }
            i += 1
        }
        var end = text.count
        var p = max(start, lastTerminator + 1)
        while p < text.count {
            if text[p] == UInt8(ascii: "+") {
                end = p
                break
            }
            p += 1
        }
        var parts = 1
        for j in start..<max(start, end) where isSeparator(text[j]) { parts += 1 }

        var n = 0
        var partStart = start
        var j = start
        while true {
            if j == end || (j < end && isSeparator(text[j])) {
                if partStart > start {
                    out[n] = UInt8(ascii: "-")
                    n += 1
                }
                let length = j - partStart
                var numeric = length > 0
                for k in partStart..<j where text[k] < 0x30 || text[k] > 0x39 {
                    numeric = false
                    break
                }
                if numeric, length < 5 {
                    for _ in length..<5 {
                        out[n] = UInt8(ascii: " ")
                        n += 1
                    }
                }
                for k in partStart..<j {
                    out[n] = text[k]
                    n += 1
                }
                if j == end { break }
                partStart = j + 1
            }
            j += 1
        }
        if parts == 3 {
            out[n] = UInt8(ascii: "-")
            out[n + 1] = UInt8(ascii: "~")
            n += 2
        }
        return n
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
