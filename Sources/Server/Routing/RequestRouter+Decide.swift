import Decision
import JSON
import NIOCore
import Outcomes
import Store

extension RequestRouter {
    /// Most slots one decide request may ask for.
    static let maxSlots = 32
    /// Longest user id accepted, in bytes.
    static let maxUserLength = 256
    /// Most request context values (query parameters or `context` members) per request.
    static let maxContextValues = 64
    /// Longest context name, in bytes.
    static let maxContextNameLength = 128
    /// Longest context value, in bytes (a POST value is measured as JSON text).
    static let maxContextValueLength = 2048

    /// `GET /v1/decide?user=u1&slots=a,b&device=mobile` and `POST /v1/decide` with a JSON body.
    func decide(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        try requireMethod(request, "GET", "POST")
        var decision =
            request.method == "GET"
            ? try Self.decisionFromQuery(request.query) : try Self.decisionFromBody(request.body)
        decision.now = state.clock()
        let engine = try liveEngine()
        out.removeAll(keepingCapacity: true)
        choices.removeAll(keepingCapacity: true)
        var tag = EntityTag(route: "decide", revision: engine.revision)
        var use = EntityTag.ProfileUse.anonymous
        let firstNonce = beginExposures()
        var tracked = false
        do {
            try reader.withSnapshot { snapshot in
                let profile = try snapshot.profile(decision.user)
                use = tag.combine(profile: profile)
                // Without personalization consent nothing about the user is recorded either.
                tracked = decision.track && outcomes != nil && use != .withoutConsent
                guard tracked else {
                    engine.decide(
                        decision, profile: profile, savedGroups: snapshot, into: &out, scratch: &scratch,
                        choices: &choices, cache: renderCache, bandits: bandits)
                    return
                }
                let userKey = OutcomeStore.userKey(decision.user.utf8)
                var n = firstNonce
                engine.decide(
                    decision, profile: profile, savedGroups: snapshot, into: &out, scratch: &scratch,
                    choices: &choices, cache: renderCache, bandits: bandits
                ) { choice, out in
                    appendToken(choice, nonce: n, user: userKey, time: decision.now, revision: engine.revision, to: &out)
                    n &+= 1
                }
            }
        } catch {
            throw APIError.internalError(
                "storage_error", "reading the profile failed", error: error, logger: state.logger)
        }
        for c in choices { metrics.record(c) }
        if tracked {
            recordExposures(choices, first: firstNonce, user: decision.user, time: decision.now, revision: engine.revision)
        }
        out.append(0x0A)
        guard request.method == "GET" else {
            // A POST answer is not cacheable; it carries no validators.
            return bytesResponse(
                contentType: "application/json", extraHeaders: [("x-tessera-revision", String(engine.revision))])
        }
        tag.combine(user: decision.user, slots: decision.slots, context: decision.context, explain: decision.explain)
        tag.combine(choices)
        tag.combine(answer: out, skipping: tokenRanges)
        return conditionalResponse(
            request, tag: tag, use: use, contentType: "application/json", revision: engine.revision)
    }

    /// `GET /v1/slots/{slot}?user=u1&...`: the rendered block alone.
    func slot(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        try requireMethod(request, "GET")
        let slotID = QueryParameters.decode(request.path.dropFirst("/v1/slots/".count))
        guard !slotID.isEmpty, !slotID.contains("/") else {
            throw APIError(status: 404, code: "not_found", message: "expected /v1/slots/{slot}")
        }
        let params = QueryParameters(request.query)
        let user = try Self.user(params["user"])
        var context = RequestContext()
        var track = true
        for p in params.pairs where p.name != "user" && p.name != "explain" {
            if p.name == "track" {
                track = try Self.trackFlag(p.value)
                continue
            }
            try Self.addContext(p.name, .string(p.value), to: &context)
        }
        let engine = try liveEngine()
        let now = state.clock()
        out.removeAll(keepingCapacity: true)
        var tag = EntityTag(route: "slot", revision: engine.revision)
        var use = EntityTag.ProfileUse.anonymous
        let choice: SlotChoice?
        do {
            choice = try reader.withSnapshot { snapshot in
                let profile = try snapshot.profile(user)
                use = tag.combine(profile: profile)
                return engine.renderSlot(
                    slotID, user: user, context: context, profile: profile, now: now,
                    savedGroups: snapshot, into: &out, cache: renderCache, bandits: bandits)
            }
        } catch {
            throw APIError.internalError(
                "storage_error", "reading the profile failed", error: error, logger: state.logger)
        }
        guard let choice else {
            var e = APIError(
                status: 404, code: "unknown_slot", message: "no slot '\(slotID)' in revision \(engine.revision)")
            e.field = "slot"
            throw e
        }
        metrics.record(choice)
        tag.combine(user: user, slots: [slotID], context: context, explain: false)
        tag.combine([choice])
        tag.combine(answer: out)
        var exposureHeader: [(name: String, value: String)] = []
        if track, let outcomes, use != .withoutConsent {
            let first = beginExposures()
            let claims = Self.claims(choice, nonce: first, user: OutcomeStore.userKey(user.utf8), time: now, revision: engine.revision)
            exposureHeader = [("tessera-exposure", outcomes.signer.token(claims))]
            recordExposures([choice], first: first, user: user, time: now, revision: engine.revision)
        }
        return conditionalResponse(
            request, tag: tag, use: use, contentType: "text/html; charset=utf-8", revision: engine.revision,
            extraHeaders: exposureHeader)
    }

    // MARK: - Request parsing

    static func user(_ value: String?) throws(APIError) -> String {
        guard let value, !value.isEmpty else {
            throw APIError.badField("user", "'user' is required: the user id to decide for")
        }
        guard value.utf8.count <= maxUserLength else {
            throw APIError.badField("user", "'user' is longer than \(maxUserLength) bytes")
        }
        return value
    }

    /// Adds one context value (the first of a name wins), within the bounds above: a request cannot make
    /// the server keep or compare more than ``maxContextValues`` values of bounded size.
    static func addContext(
        _ name: String, _ value: JSONValue, to context: inout RequestContext, field: String? = nil
    ) throws(APIError) {
        let field = field ?? name
        guard name.utf8.count <= maxContextNameLength else {
            throw APIError.badField(field, "context names are at most \(maxContextNameLength) bytes")
        }
        let length: Int
        if case .string(let s) = value { length = s.utf8.count } else { length = value.jsonText.utf8.count }
        guard length <= maxContextValueLength else {
            throw APIError.badField(field, "context values are at most \(maxContextValueLength) bytes")
        }
        guard context.value(name) == nil else { return }
        guard context.values.count < maxContextValues else {
            throw APIError.badField(field, "at most \(maxContextValues) context values per request")
        }
        context.values.append((name, value))
    }

    static func slots(_ list: [String]) throws(APIError) -> [String] {
        guard !list.isEmpty else { throw APIError.badField("slots", "'slots' is required: one or more slot ids") }
        guard list.count <= maxSlots else { throw APIError.badField("slots", "at most \(maxSlots) slots per request") }
        for s in list where s.isEmpty { throw APIError.badField("slots", "slot ids must not be empty") }
        return list
    }

    static func decisionFromQuery(_ query: String?) throws(APIError) -> DecisionRequest {
        let params = QueryParameters(query)
        let user = try user(params["user"])
        let slots = try slots(QueryParameters.commaSeparated(params["slots"] ?? ""))
        var context = RequestContext()
        var explain = false
        var track = true
        for p in params.pairs {
            switch p.name {
            case "user", "slots": continue
            case "explain": explain = p.value == "true" || p.value == "1"
            case "track": track = try trackFlag(p.value)
            default: try addContext(p.name, .string(p.value), to: &context)
            }
        }
        return DecisionRequest(user: user, slots: slots, context: context, explain: explain, track: track)
    }

    static func decisionFromBody(_ body: ByteBuffer) throws(APIError) -> DecisionRequest {
        let json = try Self.parseJSONBody(body)
        guard case .object(let members) = json else { throw APIError.badField("(body)", "expected a JSON object") }
        var user: String?
        var slots: [String]?
        var context = RequestContext()
        var explain = false
        var track = true
        for (key, value) in members {
            switch key {
            case "user":
                guard case .string(let s) = value else { throw APIError.badField("user", "'user' must be a string") }
                user = s
            case "slots":
                guard case .array(let items) = value else {
                    throw APIError.badField("slots", "'slots' must be an array of slot ids")
                }
                var list: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let s) = item else {
                        throw APIError.badField("slots[\(i)]", "slot ids must be strings")
                    }
                    list.append(s)
                }
                slots = list
            case "context":
                guard case .object(let c) = value else {
                    throw APIError.badField("context", "'context' must be an object")
                }
                for (name, v) in c { try addContext(name, v, to: &context, field: "context.\(name)") }
            case "explain":
                guard case .bool(let b) = value else {
                    throw APIError.badField("explain", "'explain' must be true or false")
                }
                explain = b
            case "track":
                guard case .bool(let b) = value else {
                    throw APIError.badField("track", "'track' must be true or false")
                }
                track = b
            default:
                throw APIError.badField(key, "unknown field '\(key)' (expected user, slots, context, explain, track)")
            }
        }
        return DecisionRequest(
            user: try Self.user(user), slots: try Self.slots(slots ?? []), context: context, explain: explain,
            track: track)
    }
}
