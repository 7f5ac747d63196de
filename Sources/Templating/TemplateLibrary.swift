/// A set of Mustache templates compiled together, ready to render many times.
///
/// Template ids are paths such as `hero/vip` or `partials/cta`; partials are referenced by id
/// (`{{> partials/cta}}`). Compiling resolves every partial reference, splits every name into
/// its dotted parts and stores literal text as byte ranges, so rendering is a walk over a flat
/// node array that appends bytes to the caller's buffer.
///
/// Supported: the Mustache v1.3 core (interpolation, sections, inverted sections, comments,
/// partials, set delimiters, standalone lines). Not supported: lambdas, dynamic names, inheritance.
public struct TemplateLibrary: Sendable, Codable {
    /// How many partials deep rendering goes; a partial nested deeper renders nothing.
    public static let maxPartialDepth = 64
    /// How many sections and partials deep rendering goes in total; deeper content renders
    /// nothing. Bounds native stack use no matter how templates and data nest.
    public static let maxNesting = 512
    /// Most nodes one render visits. Depth limits alone do not bound the work: `{{> a}}{{> a}}` inside
    /// template `a` doubles at each of 64 levels, and nested sections over long lists multiply. Past the
    /// budget, rendering stops (the block is cut short) instead of holding a core.
    public static let maxRenderSteps = 200_000
    /// Most bytes one render appends; past it, rendering stops.
    public static let maxRenderBytes = 1 << 20
    /// Most compiled units (templates plus indented partial instantiations) a library may have, and most bytes of
    /// literal text they may hold. A partial used standalone with indentation is compiled again with that
    /// indentation, so a template that includes itself with two different indentations doubles its units at each
    /// level; past these, compiling fails with an error instead of running (nearly) forever.
    public static let maxUnits = 20_000
    public static let maxCompiledBytes = 32 << 20

    /// Literal text of all units, back to back.
    @usableFromInline let pool: [UInt8]
    /// The node program of all units.
    @usableFromInline let nodes: [CompiledNode]
    /// Node ranges; unit `i < ids.count` is template `i` without indentation.
    @usableFromInline let units: [CompiledUnit]
    /// Dotted names split into parts; an empty array is the implicit iterator `.`.
    @usableFromInline let names: [[String]]
    /// Template id to its unit.
    let ids: [String: Int32]

    /// Compiles all templates at once. `sources` maps template ids to Mustache source text.
    ///
    /// Throws every problem in every template (unclosed or mismatched sections, unclosed tags,
    /// bad set-delimiter tags, empty names, partials naming a template that is not in `sources`)
    /// rather than stopping at the first.
    public static func compile(
        _ sources: [String: String],
        missingPartials: MissingPartialPolicy = .error
    ) throws(TemplateCompileErrors) -> TemplateLibrary {
        let ordered = sources.sorted { $0.key < $1.key }
        var parsed: [ParsedTemplate] = []
        parsed.reserveCapacity(ordered.count)
        var index: [String: Int] = [:]
        for (id, source) in ordered {
            index[id] = parsed.count
            parsed.append(TemplateParser.parse(id: id, source: source))
        }
        if missingPartials == .error {
            for t in parsed.indices {
                for piece in parsed[t].pieces
                where piece.tag == .partial && !piece.name.isEmpty && index[piece.name] == nil {
                    parsed[t].errors.append(
                        (piece.start, "partial '\(piece.name)' does not exist (no template has that id)"))
                }
            }
        }
        let errors = parsed.flatMap { $0.compileErrors() }
        guard errors.isEmpty else { throw TemplateCompileErrors(errors: errors) }

        var emitter = NodeEmitter(templates: parsed, templateIndex: index, maxLevel: maxPartialDepth)
        emitter.emitAll()
        if let overflow = emitter.overflow {
            let template = parsed[overflow.template]
            let p = template.position(of: overflow.offset)
            throw TemplateCompileErrors(errors: [
                TemplateCompileError(
                    templateID: template.id, line: p.line, column: p.column,
                    message: "partials expand too far: more than \(maxUnits) indented partial copies or "
                        + "\(maxCompiledBytes >> 20) MiB of text (does a partial include itself with different "
                        + "indentation?)")
            ])
        }
        var ids: [String: Int32] = [:]
        for (id, t) in index { ids[id] = Int32(t) }
        return TemplateLibrary(
            pool: emitter.pool, nodes: emitter.nodes, units: emitter.units, names: emitter.names, ids: ids)
    }

    init(pool: [UInt8], nodes: [CompiledNode], units: [CompiledUnit], names: [[String]], ids: [String: Int32]) {
        self.pool = pool
        self.nodes = nodes
        self.units = units
        self.names = names
        self.ids = ids
    }

    /// The handle of template `id`, or nil when the library has no such template.
    public func template(_ id: String) -> TemplateHandle? {
        ids[id].map { TemplateHandle(unit: $0) }
    }

    /// The ids of all templates, sorted.
    public var templateIDs: [String] {
        ids.keys.sorted()
    }
}
