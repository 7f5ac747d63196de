/// A resolved reference to one compiled template of a ``TemplateLibrary``.
///
/// Look it up once with ``TemplateLibrary/template(_:)`` and reuse it for every render. A handle is
/// only meaningful for the library that produced it; used with another library it renders nothing
/// or another template.
public struct TemplateHandle: Sendable, Hashable, Codable {
    /// Index of the compiled unit in the library.
    @usableFromInline let unit: Int32

    @usableFromInline init(unit: Int32) {
        self.unit = unit
    }
}
