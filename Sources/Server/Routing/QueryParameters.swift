/// A parsed `application/x-www-form-urlencoded` query string, in order.
struct QueryParameters {
    /// Decoded name/value pairs in the order given.
    var pairs: [(name: String, value: String)] = []

    /// Parses `query` (without the `?`); malformed percent escapes are kept literally.
    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                pairs.append((Self.decode(part[..<eq]), Self.decode(part[part.index(after: eq)...])))
            } else {
                pairs.append((Self.decode(part[...]), ""))
            }
        }
    }

    /// The first value of `name`.
    subscript(name: String) -> String? {
        for p in pairs where p.name == name { return p.value }
        return nil
    }

    /// Percent-decoding with `+` as space; invalid UTF-8 is repaired rather than rejected.
    static func decode(_ s: Substring) -> String {
        let utf8 = s.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(s) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let c = utf8[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20)
            } else if c == UInt8(ascii: "%"), let h1 = utf8.index(i, offsetBy: 1, limitedBy: utf8.endIndex),
                h1 != utf8.endIndex, let h2 = utf8.index(h1, offsetBy: 1, limitedBy: utf8.endIndex),
                h2 != utf8.endIndex,
                let a = hex(utf8[h1]), let b = hex(utf8[h2])
            {
                out.append(a << 4 | b)
                i = h2
            } else {
                out.append(c)
            }
            i = utf8.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
