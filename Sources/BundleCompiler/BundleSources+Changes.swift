import Foundation

/// Where a compile problem came from, in terms a CMS can act on: the change (or existing file) and a position
/// inside that change's own source.
public struct ChangeProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    /// `template`, `slot`, `segment`, or `schema`.
    public var kind: String
    /// The template, slot or segment id (for the schema: `schema`).
    public var id: String
    /// 1-based line inside the change's source (or the file, for content the change did not carry).
    public var line: Int
    /// 1-based column.
    public var column: Int
    /// What is wrong.
    public var message: String

    public var description: String { "\(kind) \(id):\(line):\(column): \(message)" }

    /// A problem with the given parts.
    public init(kind: String, id: String, line: Int, column: Int, message: String) {
        self.kind = kind
        self.id = id
        self.line = line
        self.column = column
        self.message = message
    }
}

extension BundleSources {
    /// Problems applying changes before compiling (e.g. deleting what does not exist).
    public struct ChangeErrors: Error, Sendable {
        /// Each problem, attributed to its change.
        public var problems: [ChangeProblem]
    }

    /// These sources with `changes` applied in order, plus a map from compile problems back to the changes.
    public func applying(_ changes: [ContentChange]) throws(ChangeErrors) -> (BundleSources, SourceMap) {
        var next = self
        var map = SourceMap()
        var problems: [ChangeProblem] = []
        for change in changes {
            switch (change.kind, change.op) {
            case (.template, .upsert):
                next.templates[change.id] = change.source ?? ""
            case (.template, .delete):
                if next.templates.removeValue(forKey: change.id) == nil {
                    problems.append(
                        ChangeProblem(
                            kind: "template", id: change.id, line: 1, column: 1,
                            message: "no template '\(change.id)' to delete"))
                }
            case (.slot, let op):
                let existing = next.slots.keys.filter {
                    Self.slotID(of: next.slots[$0]!) == change.id || $0 == Self.slotFile(change.id)
                }
                if op == .delete && existing.isEmpty {
                    problems.append(
                        ChangeProblem(
                            kind: "slot", id: change.id, line: 1, column: 1, message: "no slot '\(change.id)' to delete"
                        ))
                }
                for file in existing { next.slots.removeValue(forKey: file) }
                if op == .upsert { next.slots[Self.slotFile(change.id)] = change.source ?? "" }
            case (.segment, let op):
                guard var file = SegmentsFile(next.segments) else {
                    problems.append(
                        ChangeProblem(
                            kind: "segment", id: change.id, line: 1, column: 1,
                            message:
                                "segments.yaml must be a block-style mapping under 'segments:' to accept segment changes"
                        ))
                    continue
                }
                if op == .delete {
                    if !file.delete(change.id) {
                        problems.append(
                            ChangeProblem(
                                kind: "segment", id: change.id, line: 1, column: 1,
                                message: "no segment '\(change.id)' to delete"))
                    }
                } else {
                    let at = file.upsert(change.id, body: change.source ?? "")
                    map.segmentBodies[change.id] = (at.firstBodyLine, at.indent)
                }
                next.segments = file.text
            }
        }
        if !problems.isEmpty { throw ChangeErrors(problems: problems) }
        map.segmentsText = next.segments
        return (next, map)
    }

    /// The file a slot published by id lives in.
    static func slotFile(_ id: String) -> String { "Mappings/slots/\(id).yaml" }

    /// The `slot:` value of a slot file, read without parsing the whole file.
    static func slotID(of text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("slot:") {
            return line.dropFirst(5).trimmingCharacters(in: .whitespaces).trimmingCharacters(
                in: CharacterSet(charactersIn: "\"'"))
        }
        return nil
    }
}

/// Maps compile problems (`file:line:column`) to the change or entry they belong to.
public struct SourceMap: Sendable {
    /// For each upserted segment: 0-based line of its first body line in segments.yaml and the indent added.
    var segmentBodies: [String: (firstBodyLine: Int, indent: Int)] = [:]
    /// segments.yaml after the changes.
    var segmentsText = ""

    /// An empty map (problems keep their file positions).
    public init() {}

    /// `problem` in terms of a change or entry.
    public func attribute(_ problem: CompileProblem) -> ChangeProblem {
        let file = problem.file
        if file.hasPrefix("Templates/"), file.hasSuffix(".mustache") {
            let id = String(file.dropFirst("Templates/".count).dropLast(".mustache".count))
            return ChangeProblem(
                kind: "template", id: id, line: problem.line, column: problem.column, message: problem.message)
        }
        if file.hasPrefix("Mappings/slots/") {
            let id = String(file.dropFirst("Mappings/slots/".count)).replacingOccurrences(of: ".yaml", with: "")
            return ChangeProblem(
                kind: "slot", id: id, line: problem.line, column: problem.column, message: problem.message)
        }
        if file == "Mappings/segments.yaml", let segments = SegmentsFile(segmentsText),
            let entry = segments.entries.first(where: {
                problem.line - 1 >= $0.keyLine && problem.line - 1 < max($0.endLine, $0.keyLine + 1)
            })
        {
            if let body = segmentBodies[entry.id] {
                let line = problem.line - 1 - body.firstBodyLine + 1
                if line >= 1 {
                    return ChangeProblem(
                        kind: "segment", id: entry.id, line: line, column: max(1, problem.column - body.indent),
                        message: problem.message)
                }
                return ChangeProblem(kind: "segment", id: entry.id, line: 1, column: 1, message: problem.message)
            }
            return ChangeProblem(
                kind: "segment", id: entry.id, line: problem.line, column: problem.column, message: problem.message)
        }
        let kind = file == "Mappings/schema.yaml" ? "schema" : file == "Mappings/segments.yaml" ? "segment" : "file"
        return ChangeProblem(kind: kind, id: file, line: problem.line, column: problem.column, message: problem.message)
    }
}
