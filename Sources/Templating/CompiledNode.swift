/// One instruction of a compiled template. Templates compile to a flat array of these; a section's
/// body is the run of nodes between it and `bodyEnd`, so rendering never allocates per node.
@usableFromInline
enum CompiledNode: Sendable, Hashable, Codable {
    /// Copy `pool[start..<end]` verbatim.
    case text(start: Int32, end: Int32)
    /// Interpolate name `name` (index into the name table), HTML-escaped when `escaped`.
    case variable(name: Int32, escaped: Bool)
    /// A section or inverted section over `name`; its body is `(index + 1)..<bodyEnd`.
    case section(name: Int32, inverted: Bool, bodyEnd: Int32)
    /// Render compiled unit `unit` (a partial already specialized for its indentation); -1 renders nothing.
    case partial(unit: Int32)
}

/// The node range of one compiled unit (a template, or a partial instantiated with an indentation).
@usableFromInline
struct CompiledUnit: Sendable, Hashable, Codable {
    @usableFromInline var start: Int32
    @usableFromInline var end: Int32

    @usableFromInline init(start: Int32, end: Int32) {
        self.start = start
        self.end = end
    }
}
