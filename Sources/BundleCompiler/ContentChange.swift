public import JSON

/// One edit a CMS publishes: upsert or delete a template, a slot or a segment.
public struct ContentChange: Sendable, Equatable, Codable {
    /// Upsert (create or replace) or delete.
    public enum Operation: String, Sendable, Codable { case upsert, delete }
    /// What is edited.
    public enum Kind: String, Sendable, Codable { case template, slot, segment }

    /// Upsert or delete.
    public var op: Operation
    /// Template, slot or segment.
    public var kind: Kind
    /// Template id (`hero/vip`), slot id (`home.hero`) or segment id (`loyal_customer`).
    public var id: String
    /// The new source for an upsert: Mustache for a template, a slot file's YAML for a slot, and for a
    /// segment the YAML body of its entry (`description: ...` and `when: ...` or `assigned: true`).
    public var source: String?

    /// A change with the given parts.
    public init(op: Operation, kind: Kind, id: String, source: String? = nil) {
        self.op = op
        self.kind = kind
        self.id = id
        self.source = source
    }

    /// A problem with the shape of one change (before anything is compiled).
    public struct ShapeError: Error, Sendable, Equatable {
        /// The field at fault, e.g. `changes[2].source`.
        public var field: String
        /// What is wrong.
        public var message: String
    }

    /// Reads `changes[index]` of a webhook body.
    public static func parse(_ json: JSONValue, index: Int) throws(ShapeError) -> ContentChange {
        let at = "changes[\(index)]"
        guard case .object = json else { throw ShapeError(field: at, message: "expected an object") }
        guard case .string(let opText)? = json["op"], let op = Operation(rawValue: opText) else {
            throw ShapeError(field: at + ".op", message: "expected \"upsert\" or \"delete\"")
        }
        guard case .string(let kindText)? = json["kind"], let kind = Kind(rawValue: kindText) else {
            throw ShapeError(field: at + ".kind", message: "expected \"template\", \"slot\" or \"segment\"")
        }
        guard case .string(let id)? = json["id"], !id.isEmpty, id.utf8.count <= 200 else {
            throw ShapeError(field: at + ".id", message: "expected a non-empty id of at most 200 bytes")
        }
        if kind == .template {
            let valid = id.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
                !$0.isEmpty && $0 != "." && $0 != ".."
                    && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            }
            guard valid else {
                throw ShapeError(
                    field: at + ".id", message: "template ids are path segments of letters, digits, - _ . joined by /")
            }
        } else {
            guard id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else {
                throw ShapeError(
                    field: at + ".id", message: "\(kind.rawValue) ids may use letters, digits and - _ . : only")
            }
        }
        var source: String?
        switch (op, json["source"]) {
        case (.upsert, .string(let s)?): source = s
        case (.upsert, _):
            throw ShapeError(field: at + ".source", message: "an upsert needs the new source as a string")
        case (.delete, nil), (.delete, .null?): source = nil
        case (.delete, _): throw ShapeError(field: at + ".source", message: "a delete takes no source")
        }
        return ContentChange(op: op, kind: kind, id: id, source: source)
    }
}
