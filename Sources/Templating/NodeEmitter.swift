/// Turns parsed templates into the flat node program of a ``TemplateLibrary``.
///
/// Every template is emitted once as-is. A partial used standalone with indentation is emitted
/// again as a separate unit with that indentation baked into its text, one unit per distinct
/// (partial, indentation) pair, so rendering never re-scans text for line starts.
struct NodeEmitter {
    private struct UnitKey: Hashable {
        var template: Int
        var indent: [UInt8]
    }

    private let templates: [ParsedTemplate]
    private let templateIndex: [String: Int]
    /// Deepest chain of indented partial instantiations; deeper ones could never render anyway,
    /// because rendering stops at ``TemplateLibrary/maxPartialDepth`` partial levels.
    private let maxLevel: Int

    private(set) var pool: [UInt8] = []
    private(set) var nodes: [CompiledNode] = []
    private(set) var units: [CompiledUnit] = []
    private(set) var names: [[String]] = []
    private var nameIndex: [String: Int32] = [:]
    private var unitIndex: [UnitKey: Int32] = [:]
    private var queue: [(key: UnitKey, level: Int, unit: Int32)] = []
    /// Set when the program would outgrow ``TemplateLibrary/maxUnits`` or ``TemplateLibrary/maxCompiledBytes``:
    /// the template and source offset of the piece that went past. Emission stops there.
    private(set) var overflow: (template: Int, offset: Int)?
    /// The template being emitted.
    private var currentTemplate = 0
    /// Index of the last node when it is text that may still be extended.
    private var openText: Int?

    /// Prepares to emit `templates` (all free of errors); `templateIndex` maps ids to positions.
    init(templates: [ParsedTemplate], templateIndex: [String: Int], maxLevel: Int) {
        self.templates = templates
        self.templateIndex = templateIndex
        self.maxLevel = maxLevel
    }

    /// Emits every template (unit `i` is template `i` without indentation) and every indented
    /// partial instantiation they need.
    mutating func emitAll() {
        for t in templates.indices { _ = unit(template: t, indent: [], level: 0, at: 0) }
        var next = 0
        while next < queue.count, overflow == nil {
            let item = queue[next]
            next += 1
            let start = Int32(nodes.count)
            emit(template: item.key.template, indent: item.key.indent, level: item.level)
            units[Int(item.unit)] = CompiledUnit(start: start, end: Int32(nodes.count))
        }
    }

    /// The unit of `template` with `indent`, queued for emission when new. `offset` is where the partial
    /// that needs it is in the template being emitted (for the error when there would be too many units).
    private mutating func unit(template: Int, indent: [UInt8], level: Int, at offset: Int) -> Int32 {
        if level > maxLevel { return -1 }
        let key = UnitKey(template: template, indent: indent)
        if let existing = unitIndex[key] { return existing }
        // Distinct indentations multiply: a template that includes itself standalone with two different
        // indentations needs 2^level units (2^64 at the depth limit), so compiling it never ended.
        if units.count >= TemplateLibrary.maxUnits {
            overflow = (currentTemplate, offset)
            return -1
        }
        let index = Int32(units.count)
        units.append(CompiledUnit(start: 0, end: 0))
        unitIndex[key] = index
        queue.append((key, level, index))
        return index
    }

    private mutating func emit(template t: Int, indent: [UInt8], level: Int) {
        currentTemplate = t
        let source = templates[t].bytes
        var openSections: [Int] = []
        openText = nil
        for piece in templates[t].pieces {
            if overflow != nil { return }
            guard let kind = piece.tag else {
                appendText(source, piece.start, piece.end, indent: indent)
                continue
            }
            let atLineStart = piece.start == 0 || source[piece.start - 1] == UInt8(ascii: "\n")
            if !indent.isEmpty, !piece.standalone, atLineStart {
                appendBytes(indent[...])
            }
            switch kind {
            case .variable, .unescaped:
                append(.variable(name: name(piece.name), escaped: kind == .variable))
            case .section, .inverted:
                openSections.append(nodes.count)
                append(.section(name: name(piece.name), inverted: kind == .inverted, bodyEnd: 0))
            case .close:
                guard let s = openSections.popLast(), case .section(let n, let inverted, _) = nodes[s] else { continue }
                nodes[s] = .section(name: n, inverted: inverted, bodyEnd: Int32(nodes.count))
                openText = nil  // text after the section must not merge into the section body
            case .partial:
                guard let target = templateIndex[piece.name] else {
                    append(.partial(unit: -1))  // allowed only under MissingPartialPolicy.renderNothing
                    continue
                }
                if piece.standalone {
                    let childIndent = indent + source[piece.lineStart..<piece.start]
                    let childLevel = childIndent.isEmpty ? 0 : level + 1
                    append(.partial(unit: unit(template: target, indent: childIndent, level: childLevel, at: piece.start)))
                } else {
                    append(.partial(unit: unit(template: target, indent: [], level: 0, at: piece.start)))
                }
            case .comment, .setDelimiters, .unsupported:
                break
            }
        }
    }

    private mutating func append(_ node: CompiledNode) {
        nodes.append(node)
        openText = nil
    }

    /// Appends literal text, inserting `indent` at every line start of the source inside it.
    private mutating func appendText(_ source: [UInt8], _ start: Int, _ end: Int, indent: [UInt8]) {
        guard start < end else { return }
        if indent.isEmpty {
            appendBytes(source[start..<end])
            return
        }
        var runStart = start
        var i = start
        while i < end {
            if i == 0 || source[i - 1] == UInt8(ascii: "\n") {
                appendBytes(source[runStart..<i])
                appendBytes(indent[...])
                runStart = i
            }
            i += 1
        }
        appendBytes(source[runStart..<end])
    }

    private mutating func appendBytes(_ bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty else { return }
        if pool.count + bytes.count > TemplateLibrary.maxCompiledBytes {
            // The offset of the piece being emitted is not known here; the template's start stands for it.
            if overflow == nil { overflow = (currentTemplate, 0) }
            return
        }
        let start = Int32(pool.count)
        pool.append(contentsOf: bytes)
        let end = Int32(pool.count)
        if let index = openText, case .text(let s, let e) = nodes[index], e == start {
            nodes[index] = .text(start: s, end: end)
        } else {
            nodes.append(.text(start: start, end: end))
            openText = nodes.count - 1
        }
    }

    /// The name table index of `name`, split into its dotted parts ("." becomes no parts).
    private mutating func name(_ name: String) -> Int32 {
        if let existing = nameIndex[name] { return existing }
        let parts = name == "." ? [] : name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let index = Int32(names.count)
        names.append(parts)
        nameIndex[name] = index
        return index
    }
}
