/// Tokenizes one template source into a ``ParsedTemplate``, checking its structure.
///
/// It keeps going after most problems so one compile reports everything it can; only a tag that is
/// never closed stops it, since nothing after that point can be tokenized reliably.
struct TemplateParser {
    private var template: ParsedTemplate
    private var open: [UInt8] = Array("{{".utf8)
    private var close: [UInt8] = Array("}}".utf8)
    /// Open sections: trimmed name and offset of the opening tag.
    private var sections: [(name: String, offset: Int)] = []

    /// Prepares to parse `source`, the template with id `id`.
    init(id: String, source: String) {
        template = ParsedTemplate(id: id, bytes: Array(source.utf8))
    }

    /// Tokenizes the whole source, marks standalone lines and returns the result.
    static func parse(id: String, source: String) -> ParsedTemplate {
        var parser = TemplateParser(id: id, source: source)
        parser.run()
        var result = parser.template
        result.markStandaloneLines()
        return result
    }

    private var bytes: [UInt8] { template.bytes }

    private mutating func run() {
        let count = bytes.count
        var pos = 0
        while pos < count {
            guard let tagStart = find(open, from: pos) else {
                addText(pos, count)
                break
            }
            addText(pos, tagStart)
            guard let tagEnd = parseTag(at: tagStart) else { break }
            pos = tagEnd
        }
        for section in sections.reversed() {
            fail(
                section.offset, "section '\(section.name)' opened at \(template.label(section.offset)) is never closed")
        }
    }

    /// Parses the tag starting at `tagStart`; returns the offset just past it, or nil when it never ends.
    private mutating func parseTag(at tagStart: Int) -> Int? {
        var p = tagStart + open.count
        var kind = TagKind.variable
        var terminator = close
        if p < bytes.count {
            switch bytes[p] {
            case UInt8(ascii: "#"): kind = .section
            case UInt8(ascii: "^"): kind = .inverted
            case UInt8(ascii: "/"): kind = .close
            case UInt8(ascii: ">"): kind = .partial
            case UInt8(ascii: "!"): kind = .comment
            case UInt8(ascii: "&"): kind = .unescaped
            case UInt8(ascii: "{"):
                kind = .unescaped
                terminator = [UInt8(ascii: "}")] + close
            case UInt8(ascii: "="):
                kind = .setDelimiters
                terminator = [UInt8(ascii: "=")] + close
            case UInt8(ascii: "$"), UInt8(ascii: "<"): kind = .unsupported
            default: break
            }
            if kind != .variable { p += 1 }
        }
        guard let contentEnd = find(terminator, from: p) else {
            let expected = String(decoding: terminator, as: UTF8.self)
            fail(tagStart, "tag opened at \(template.label(tagStart)) is never closed (expected '\(expected)')")
            return nil
        }
        let tagEnd = contentEnd + terminator.count
        let name = trimmed(p, contentEnd)
        let raw = template.excerpt(tagStart, tagEnd)
        var piece = ParsedPiece(tag: kind, start: tagStart, end: tagEnd, name: name)
        switch kind {
        case .variable, .unescaped:
            validateName(name, raw: raw, at: tagStart, dotted: true)
        case .section, .inverted:
            validateName(name, raw: raw, at: tagStart, dotted: true)
            sections.append((name, tagStart))
        case .unsupported:
            fail(tagStart, "tag '\(raw)' uses template inheritance, which is not supported")
            sections.append((name, tagStart))  // keep its closing tag from being reported as stray
        case .close:
            validateName(name, raw: raw, at: tagStart, dotted: true)
            closeSection(name, raw: raw, at: tagStart)
        case .partial:
            validateName(name, raw: raw, at: tagStart, dotted: false)
        case .comment:
            break
        case .setDelimiters:
            setDelimiters(name, raw: raw, at: tagStart)
            piece.name = ""
        }
        template.pieces.append(piece)
        return tagEnd
    }

    private mutating func closeSection(_ name: String, raw: String, at offset: Int) {
        guard let top = sections.last else {
            fail(offset, "closing tag '\(raw)' has no matching opening section")
            return
        }
        if top.name == name {
            sections.removeLast()
            return
        }
        fail(
            offset, "closing tag '\(raw)' does not match section '\(top.name)' opened at \(template.label(top.offset))")
        // Recover by closing the named outer section, so its own closing tag is not reported again.
        if let index = sections.lastIndex(where: { $0.name == name }) {
            sections.removeSubrange(index...)
        }
    }

    private mutating func setDelimiters(_ content: String, raw: String, at offset: Int) {
        let parts = content.utf8.split(whereSeparator: {
            $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r")
        })
        guard parts.count == 2, !parts.contains(where: { $0.contains(UInt8(ascii: "=")) }) else {
            fail(
                offset,
                "invalid set-delimiter tag '\(raw)': expected two delimiters separated by a space, like {{=<% %>=}}")
            return
        }
        open = Array(parts[0])
        close = Array(parts[1])
    }

    private mutating func validateName(_ name: String, raw: String, at offset: Int, dotted: Bool) {
        if name.isEmpty {
            fail(offset, "tag '\(raw)' has an empty name")
        } else if name.utf8.contains(where: {
            $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r")
        }) {
            fail(offset, "tag '\(raw)' has a name with whitespace in it ('\(name)')")
        } else if dotted, name != ".",
            name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
        {
            fail(offset, "tag '\(raw)' has a name with an empty part between dots ('\(name)')")
        }
    }

    private mutating func fail(_ offset: Int, _ message: String) {
        template.errors.append((offset, message))
    }

    private mutating func addText(_ start: Int, _ end: Int) {
        if start < end { template.pieces.append(ParsedPiece(tag: nil, start: start, end: end)) }
    }

    /// The content of `start..<end` without surrounding whitespace, as a String.
    private func trimmed(_ start: Int, _ end: Int) -> String {
        var a = start
        var b = end
        while a < b, Self.isSpace(bytes[a]) { a += 1 }
        while b > a, Self.isSpace(bytes[b - 1]) { b -= 1 }
        return String(decoding: bytes[a..<b], as: UTF8.self)
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    /// First offset `>= from` where `needle` occurs.
    private func find(_ needle: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, needle.count <= bytes.count else { return nil }
        var i = from
        let last = bytes.count - needle.count
        while i <= last {
            if bytes[i] == first {
                var k = 1
                while k < needle.count, bytes[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
