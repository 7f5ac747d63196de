/// HTML escaping of interpolated values (`& " < >`, as the Mustache spec requires).
@usableFromInline
enum HTMLEscaper {
    /// Escapes `out[mark...]` in place. Values without special characters (the common case) cost
    /// one scan and no copy.
    @inlinable
    static func escapeTail(of out: inout [UInt8], from mark: Int, scratch: inout [UInt8]) {
        var i = mark
        let count = out.count
        while i < count, !needsEscape(out[i]) { i += 1 }
        guard i < count else { return }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: out[i..<count])
        out.removeSubrange(i..<count)
        for byte in scratch {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: [0x26, 0x61, 0x6D, 0x70, 0x3B])  // &amp;
            case UInt8(ascii: "\""): out.append(contentsOf: [0x26, 0x71, 0x75, 0x6F, 0x74, 0x3B])  // &quot;
            case UInt8(ascii: "<"): out.append(contentsOf: [0x26, 0x6C, 0x74, 0x3B])  // &lt;
            case UInt8(ascii: ">"): out.append(contentsOf: [0x26, 0x67, 0x74, 0x3B])  // &gt;
            default: out.append(byte)
            }
        }
    }

    @inlinable
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "<")
            || byte == UInt8(ascii: ">")
    }
}
