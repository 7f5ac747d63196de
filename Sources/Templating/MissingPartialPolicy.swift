/// What ``TemplateLibrary/compile(_:missingPartials:)`` does with `{{> id}}` when no template has that id.
public enum MissingPartialPolicy: Sendable, Hashable {
    /// Report a compile error at the tag (the default: a typo in a partial id is a bug).
    case error
    /// Render the empty string, as the Mustache spec suggests for failed partial lookups.
    case renderNothing
}
