import Foundation
import Yams

/// `segments.yaml` as text with the line range of every segment entry, so one segment can be replaced,
/// added or removed without re-serializing (and so losing the comments and layout of) the rest.
struct SegmentsFile {
    /// One top-level entry under `segments:`.
    struct Entry {
        /// The segment id.
        var id: String
        /// 0-based line of the entry's key.
        var keyLine: Int
        /// 0-based line after the entry's last line.
        var endLine: Int
    }

    var lines: [Substring]
    var entries: [Entry]
    /// Column (0-based) of the entry keys.
    var keyIndent: Int

    /// Reads the entries of `text`; `nil` when they cannot be located (not a block mapping, or a syntax error —
    /// the compiler reports those).
    init?(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let node = try? Yams.compose(yaml: text, .default, .default, .utf8), case .mapping(let root) = node else { return nil }
        var segmentsNode: Node?
        for (k, v) in root where k.string == "segments" { segmentsNode = v }
        if segmentsNode == nil {
            entries = []
            keyIndent = 2
            return
        }
        guard case .mapping(let mapping)? = segmentsNode, mapping.style != .flow else { return nil }
        var found: [Entry] = []
        var indent = 2
        for (k, _) in mapping {
            guard let mark = k.mark, let id = k.string else { return nil }
            indent = mark.column - 1
            found.append(Entry(id: id, keyLine: mark.line - 1, endLine: 0))
        }
        for i in found.indices {
            var end = i + 1 < found.count ? found[i + 1].keyLine : lines.count
            // Trailing blank and comment lines belong to the next entry (or the file's end).
            while end > found[i].keyLine + 1,
                lines[end - 1].trimmingCharacters(in: .whitespaces).isEmpty
                    || lines[end - 1].trimmingCharacters(in: .whitespaces).hasPrefix("#")
            {
                end -= 1
            }
            found[i].endLine = end
        }
        entries = found
        keyIndent = indent
    }

    var text: String { lines.joined(separator: "\n") }

    /// Replaces (or appends) segment `id` with `body` (the YAML inside the entry); returns the 0-based line of
    /// the first body line and the indentation added, for mapping positions back into `body`.
    mutating func upsert(_ id: String, body: String) -> (firstBodyLine: Int, indent: Int) {
        let bodyIndent = keyIndent + 2
        let pad = String(repeating: " ", count: bodyIndent)
        var newLines: [Substring] = [Substring(String(repeating: " ", count: keyIndent) + id + ":")]
        for line in body.split(separator: "\n", omittingEmptySubsequences: false).dropLast(body.hasSuffix("\n") ? 1 : 0)
        {
            newLines.append(Substring(line.isEmpty ? "" : pad + line))
        }
        if let i = entries.firstIndex(where: { $0.id == id }) {
            let start = entries[i].keyLine
            lines.replaceSubrange(start..<entries[i].endLine, with: newLines)
            return (start + 1, bodyIndent)
        }
        if !lines.contains(where: { $0.hasPrefix("segments:") }) {
            lines.append("segments:")
        }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        let start = lines.count
        lines.append(contentsOf: newLines)
        lines.append("")
        return (start + 1, bodyIndent)
    }

    /// Removes segment `id`; false when there is no such entry.
    mutating func delete(_ id: String) -> Bool {
        guard let i = entries.firstIndex(where: { $0.id == id }) else { return false }
        lines.removeSubrange(entries[i].keyLine..<entries[i].endLine)
        return true
    }
}
