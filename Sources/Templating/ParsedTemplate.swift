/// The kind of a Mustache tag.
enum TagKind: Sendable, Equatable {
    case variable  // {{name}}
    case unescaped  // {{{name}}} and {{&name}}
    case section  // {{#name}}
    case inverted  // {{^name}}
    case close  // {{/name}}
    case partial  // {{>id}}
    case comment  // {{! ... }}
    case setDelimiters  // {{=<% %>=}}
    case unsupported  // {{$name}} / {{<name}}: inheritance, reported as an error

    /// Whether a tag of this kind may stand alone on a line (and then its line is removed).
    var canStandAlone: Bool {
        switch self {
        case .variable, .unescaped: false
        default: true
        }
    }
}

/// One token of a template source: literal text or a tag, as byte offsets into the source.
struct ParsedPiece: Sendable {
    /// nil for literal text.
    var tag: TagKind?
    /// For text: the literal bytes (shrunk by standalone-line removal). For tags: the whole tag.
    var start: Int
    var end: Int
    /// The tag's trimmed content (the name); empty for text.
    var name: String = ""
    /// Whether this tag stands alone on its line (its whole line is dropped from the output).
    var standalone = false
    /// For standalone tags: where the tag's line starts, so `start - lineStart` bytes are its indentation.
    var lineStart = 0
}

/// A template after tokenizing, before it is turned into render nodes.
struct ParsedTemplate: Sendable {
    /// The template id.
    var id: String
    /// The UTF-8 source.
    var bytes: [UInt8]
    /// Text and tags in source order; sections are known to be balanced when `errors` is empty.
    var pieces: [ParsedPiece] = []
    /// Problems as (byte offset, message), converted to line/column by ``position(of:)``.
    var errors: [(offset: Int, message: String)] = []

    /// 1-based line and column (in Unicode scalars) of byte `offset`.
    func position(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var i = 0
        let limit = min(offset, bytes.count)
        while i < limit {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return (line, column)
    }

    /// "line:column" of byte `offset`, for messages that point at a second place.
    func label(_ offset: Int) -> String {
        let p = position(of: offset)
        return "\(p.line):\(p.column)"
    }

    /// The source text of `start..<end`, shortened for messages.
    func excerpt(_ start: Int, _ end: Int) -> String {
        let clipped = min(end, start + 60)
        let text = String(decoding: bytes[start..<clipped], as: UTF8.self)
        return clipped < end ? text + "…" : text
    }

    /// The errors as public values, sorted by position.
    func compileErrors() -> [TemplateCompileError] {
        errors.sorted { $0.offset < $1.offset }.map { error in
            let p = position(of: error.offset)
            return TemplateCompileError(templateID: id, line: p.line, column: p.column, message: error.message)
        }
    }
}
