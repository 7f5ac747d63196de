/// One problem found while compiling a template, pointing at the offending spot.
public struct TemplateCompileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id of the template the problem is in (e.g. `hero/vip`).
    public var templateID: String
    /// 1-based line of the problem.
    public var line: Int
    /// 1-based column (in Unicode scalars) of the problem.
    public var column: Int
    /// A sentence an editor can act on, e.g. "section 'items' opened at 3:5 is never closed".
    public var message: String

    /// Creates an error record.
    public init(templateID: String, line: Int, column: Int, message: String) {
        self.templateID = templateID
        self.line = line
        self.column = column
        self.message = message
    }

    /// `templateID:line:column: message`.
    public var description: String { "\(templateID):\(line):\(column): \(message)" }
}

/// Every problem found in a set of templates; thrown by ``TemplateLibrary/compile(_:missingPartials:)``.
public struct TemplateCompileErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// All errors, ordered by template id, then position.
    public var errors: [TemplateCompileError]

    /// Wraps a list of errors.
    public init(errors: [TemplateCompileError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
