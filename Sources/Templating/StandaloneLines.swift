extension ParsedTemplate {
    /// Applies the spec's standalone rule: a section, inverted, closing, partial, comment or
    /// set-delimiter tag that is alone on its line (only spaces or tabs around it) removes its
    /// whole line, including the line break. Decisions are made on the untouched source first,
    /// then the neighbouring text is trimmed, so two standalone tags on consecutive lines can
    /// share the text between them.
    mutating func markStandaloneLines() {
        let count = pieces.count
        for i in 0..<count {
            guard let kind = pieces[i].tag, kind.canStandAlone else { continue }
            guard let lineStart = standaloneLineStart(before: i), standaloneLineEnd(after: i) != nil else { continue }
            pieces[i].standalone = true
            pieces[i].lineStart = lineStart
        }
        for i in 0..<count where pieces[i].standalone {
            if i > 0, pieces[i - 1].tag == nil {
                pieces[i - 1].end = min(pieces[i - 1].end, pieces[i].lineStart)
            }
            if i + 1 < count, pieces[i + 1].tag == nil, let lineEnd = standaloneLineEnd(after: i) {
                pieces[i + 1].start = max(pieces[i + 1].start, lineEnd)
            }
        }
        for i in 0..<count where pieces[i].tag == nil && pieces[i].end < pieces[i].start {
            pieces[i].end = pieces[i].start
        }
    }

    /// Where the line of tag `i` starts, when only spaces or tabs precede the tag on it.
    private func standaloneLineStart(before i: Int) -> Int? {
        let tagStart = pieces[i].start
        if i == 0 { return tagStart == 0 ? 0 : nil }
        let previous = pieces[i - 1]
        guard previous.tag == nil else { return nil }
        var lineStart: Int
        if let newline = bytes[previous.start..<previous.end].lastIndex(of: UInt8(ascii: "\n")) {
            lineStart = newline + 1
        } else if previous.start == 0 {
            lineStart = 0
        } else {
            return nil  // another tag ends earlier on this line
        }
        var k = lineStart
        while k < tagStart {
            guard bytes[k] == UInt8(ascii: " ") || bytes[k] == UInt8(ascii: "\t") else { return nil }
            k += 1
        }
        return lineStart
    }

    /// Where the line after tag `i` starts (past its line break, or the end of the source), when
    /// only spaces or tabs follow the tag on its line. Uses the untrimmed piece bounds.
    private func standaloneLineEnd(after i: Int) -> Int? {
        let tagEnd = pieces[i].end
        if i + 1 == pieces.count { return tagEnd == bytes.count ? tagEnd : nil }
        guard pieces[i + 1].tag == nil else { return nil }
        // The text starts right after the tag in the source; scan the source, not the trimmed piece.
        var k = tagEnd
        while k < bytes.count, bytes[k] == UInt8(ascii: " ") || bytes[k] == UInt8(ascii: "\t") { k += 1 }
        if k < bytes.count, bytes[k] == UInt8(ascii: "\n") { return k + 1 }
        if k + 1 < bytes.count, bytes[k] == UInt8(ascii: "\r"), bytes[k + 1] == UInt8(ascii: "\n") { return k + 2 }
        if k == bytes.count { return k }
        return nil
    }
}
