/// One problem found while compiling a bundle, with where it is.
public struct CompileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source file relative to the bundle root, e.g. `Mappings/slots/home.hero.yaml`.
    public var file: String
    /// 1-based line (0 when the problem is about the file as a whole).
    public var line: Int
    /// 1-based column.
    public var column: Int
    /// What is wrong.
    public var message: String

    /// A problem at `file:line:column`.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, the format editors and CI annotate.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem a compile found. Nothing is written when this is thrown.
public struct CompileProblems: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var problems: [CompileProblem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }

    /// A set of problems.
    public init(problems: [CompileProblem]) {
        self.problems = problems
    }
}
