import BundleCompiler
import Decision
import Foundation
import JSON
import NIOCore
import Store
import Templating

/// What `POST /v1/preview` asks for.
struct PreviewRequest: Sendable {
    var templateID: String?
    var source: String?
    var partials: [String: String] = [:]
    var user: String?
    var profile: JSONValue?
    var context = RequestContext()
    var slot: String?
    var data: JSONValue = .object([])

    /// The template id inline sources are compiled under.
    static let inlineID = "__preview__"

    init(_ json: JSONValue) throws(APIError) {
        guard case .object(let members) = json else { throw APIError.badField("(body)", "expected a JSON object") }
        for (key, value) in members {
            switch (key, value) {
            case ("template", .string(let s)): templateID = s
            case ("source", .string(let s)): source = s
            case ("partials", .object(let p)):
                for (id, v) in p {
                    guard case .string(let s) = v else {
                        throw APIError.badField("partials.\(id)", "partial sources must be strings")
                    }
                    partials[id] = s
                }
            case ("user", .string(let s)): user = s
            case ("profile", .object): profile = value
            case ("context", .object(let c)): context = RequestContext(c)
            case ("slot", .string(let s)): slot = s
            case ("data", .object): data = value
            default:
                throw APIError.badField(
                    key,
                    "unexpected '\(key)': expected template|source (string), partials (object), user (string) or "
                        + "profile (object), context (object), slot (string), data (object)")
            }
        }
        if templateID != nil && source != nil {
            throw APIError.badField("source", "give 'template' or 'source', not both")
        }
        if templateID == nil && source == nil && slot == nil {
            throw APIError.badField(
                "template", "say what to preview: 'template' (an id), 'source' (inline Mustache) or 'slot'")
        }
        if user != nil && profile != nil { throw APIError.badField("profile", "give 'user' or 'profile', not both") }
    }
}

extension RequestRouter {
    /// `POST /v1/preview`: render a template (stored, or inline with inline partials) and/or decide a slot for
    /// a stored user or an inline persona, exactly as serving would, without changing anything.
    func preview(_ request: HTTPRequest) -> HTTPHandlerResult {
        let ask: PreviewRequest
        do throws(APIError) {
            try requireMethod(request, "POST")
            try requireAdmin(request)
            ask = try PreviewRequest(try Self.parseJSONBody(request.body))
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
        let store = state.store
        let clock = state.clock
        let bandits = self.bandits
        return onContentThread { try Self.runPreview(ask, store: store, now: clock(), bandits: bandits) }
    }

    /// `bandits`: the weights the loops serve with, so a preview of a bandit experiment deals as serving does.
    static func runPreview(_ ask: PreviewRequest, store: DataStore, now: Double, bandits: BanditWeights? = nil) throws
        -> HTTPResponse
    {
        guard let (revision, bundle) = try store.currentBundle() else {
            throw APIError(status: 503, code: "no_bundle", message: "no compiled bundle yet")
        }
        let engine = try DecisionEngine(bundle: bundle, revision: revision)
        // A persona is decided for under its own "id" when it has one (so list segments and hashing see it).
        var personaID: String?
        if case .object(let members)? = ask.profile, case .string(let id)? = members.first(where: { $0.key == "id" })?.value {
            personaID = id
        }
        let user = ask.user ?? personaID ?? "preview"
        // The profile bytes, copied out of LMDB (a preview is not the hot path) or encoded from the persona.
        var record: [UInt8]?
        let reader = try ProfileReader(store: store)
        if let id = ask.user {
            record = try reader.withSnapshot { snap in try snap.profile(id).map { Array($0.bytes) } }
        } else if case .object(var members)? = ask.profile {
            members.removeAll { $0.key == "id" }
            members.insert(("id", .string(user)), at: 0)
            do {
                record = try ProfileInput.parse(.object(members), bundle: bundle, version: 0).profile.encode()
            } catch {
                throw APIError.badField("profile.\(error.field)", error.message)
            }
        }

        var library = bundle.templates
        var templateID = ask.templateID
        if ask.source != nil || !ask.partials.isEmpty {
            var templates: [String: String] = [:]
            if let raw = try store.sources(of: revision) {
                templates = try JSONDecoder().decode(BundleSources.self, from: Data(raw)).templates
            }
            for (id, src) in ask.partials { templates[id] = src }
            if let src = ask.source {
                templates[PreviewRequest.inlineID] = src
                templateID = PreviewRequest.inlineID
            }
            do {
                library = try TemplateLibrary.compile(templates)
            } catch {
                var out: [UInt8] = []
                out.append(
                    contentsOf: #"{"error":"invalid_template","message":"the template does not compile","problems":["#
                        .utf8)
                for (i, e) in error.errors.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    let id = e.templateID == PreviewRequest.inlineID ? "source" : e.templateID
                    JSONWriter.append(
                        .object([
                            ("id", .string(id)), ("line", .number(Double(e.line))),
                            ("column", .number(Double(e.column))),
                            ("message", .string(e.message)),
                        ]), to: &out)
                }
                out.append(contentsOf: "]}\n".utf8)
                return jsonResponse(out, status: 422)
            }
        }

        var out: [UInt8] = []
        out.append(contentsOf: #"{"revision":"#.utf8)
        JSONWriter.appendInteger(Int64(revision), to: &out)
        // List segments are read in one snapshot of the store, as a decide reads them.
        let renderAndDecide: (ProfileView?, ProfileReader.Snapshot) throws -> Void = { profile, lists in
            out.append(contentsOf: #","segments":"#.utf8)
            JSONWriter.append(
                .array(
                    engine.segments(
                        user: user, profile: profile, context: ask.context, now: now, savedGroups: lists
                    ).map { .string($0) }),
                to: &out)
            if let templateID {
                guard let handle = library.template(templateID) else {
                    throw APIError(
                        status: 404, code: "unknown_template", message: "no template '\(templateID)'", field: "template"
                    )
                }
                var content: [UInt8] = []
                _ = engine.preview(
                    library: library, template: handle, user: user, profile: profile, context: ask.context,
                    data: ask.data, now: now, savedGroups: lists, into: &content)
                out.append(contentsOf: #","content":"#.utf8)
                content.withUnsafeBytes { JSONWriter.appendString($0, to: &out) }
            }
            if let slot = ask.slot {
                var decision: [UInt8] = []
                var scratch: [UInt8] = []
                var choices: [SlotChoice] = []
                engine.decide(
                    DecisionRequest(user: user, slots: [slot], context: ask.context, explain: true, now: now),
                    profile: profile, savedGroups: lists,
                    into: &decision, scratch: &scratch, choices: &choices, bandits: bandits)
                out.append(contentsOf: #","decision":"#.utf8)
                out.append(contentsOf: decision)
            }
        }
        try reader.withSnapshot { lists in
            if let record {
                try record.withUnsafeBytes { raw in try renderAndDecide(ProfileView(raw), lists) }
            } else {
                try renderAndDecide(nil, lists)
            }
        }
        out.append(contentsOf: "}\n".utf8)
        return jsonResponse(out)
    }
}
