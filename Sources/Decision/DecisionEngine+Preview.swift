public import JSON
public import Templating

extension DecisionEngine {
    /// Renders `template` of `library` (the bundle's own, or one compiled for a preview with inline sources)
    /// for a user, exactly as a decision would: the same tokens, segments and consent rules. Appends to `out`
    /// and returns the segments the user is in.
    public func preview(
        library: TemplateLibrary, template: TemplateHandle, user: String, profile: ProfileView?,
        context: RequestContext, data: JSONValue, now: Double = .nan, savedGroups: (any SavedGroupLookup)? = nil,
        into out: inout [UInt8]
    ) -> [String] {
        var scope = makeScope(user: user, profile: profile, context: context, now: now, savedGroups: savedGroups)
        if profile?.consent != false { resolveSegments(&scope) }
        withUnsafePointer(to: scope) { s in
            withUnsafePointer(to: data) { d in
                library.render(template, root: RenderNode(scope: s, data: d, kind: .root), into: &out)
            }
        }
        var names: [String] = []
        scope.segments.forEach { names.append(segmentNames[$0]) }
        return names
    }
}
