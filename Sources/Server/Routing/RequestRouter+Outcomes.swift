import Decision
import Foundation
import JSON
import NIOCore
import Outcomes
import Store
import Targeting

extension RequestRouter {
    // MARK: - Exposures (the request path)

    /// Starts a request's exposures: the nonce of its first shown slot, and no token ranges yet.
    @inline(__always)
    func beginExposures() -> UInt32 {
        tokenRanges.removeAll(keepingCapacity: true)
        return nonce
    }

    /// Appends `,"token":"…"` for `choice` (the `n`th shown slot of the request) to `out`, noting the token's
    /// bytes so the ETag leaves them out (a token differs per answer; the content does not).
    @inline(__always)
    func appendToken(
        _ choice: SlotChoice, nonce: UInt32, user: UInt64, time: Double, revision: UInt64, to out: inout [UInt8]
    ) {
        guard let outcomes else { return }
        out.append(contentsOf: #","token":""#.utf8)
        let start = out.count
        outcomes.signer.append(Self.claims(choice, nonce: nonce, user: user, time: time, revision: revision), to: &out)
        tokenRanges.append(start..<out.count)
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func claims(_ choice: SlotChoice, nonce: UInt32, user: UInt64, time: Double, revision: UInt64)
        -> ExposureClaims
    {
        let seconds = time.isFinite && time >= 0 && time < 4_294_967_296 ? UInt32(time) : 0
        return ExposureClaims(
            time: seconds, revision: UInt32(truncatingIfNeeded: revision), slot: UInt16(truncatingIfNeeded: choice.slot),
            outcome: UInt16(truncatingIfNeeded: choice.outcome), nonce: nonce, user: user)
    }

    /// Appends one exposure per shown slot in `choices` to this loop's ring (nonces from `first` on, as the
    /// tokens got them), and moves the loop's nonce past them.
    @inline(__always)
    func recordExposures(_ choices: [SlotChoice], first: UInt32, user: String, time: Double, revision: UInt64) {
        guard let exposures else { return }
        var n = first
        var user = user
        user.withUTF8 { u in
            let bytes = UnsafeRawBufferPointer(u)
            for c in choices where c.slot >= 0 {
                exposures.append(
                    time: time, revision: revision, slot: c.slot, outcome: c.outcome, nonce: n, segments: c.segments,
                    user: bytes)
                n &+= 1
            }
        }
        nonce = n
    }

    /// `track=` of a query: true unless `false` or `0`.
    static func trackFlag(_ value: String) throws(APIError) -> Bool {
        switch value {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.badField("track", "'track' must be true or false")
        }
    }

    // MARK: - Feedback

    /// `POST /v1/feedback`: a click (`{"token": "...", "type": "click"}`, the token alone is enough) or a
    /// conversion (`{"token": ...}` or, with the ingest token, `{"user": "u1"}`; optional `value`, `ts`).
    /// Answered 204 once committed; an already counted token is also 204 (`tessera-feedback: duplicate`).
    func feedback(_ request: HTTPRequest) throws(APIError) -> HTTPHandlerResult {
        try requireMethod(request, "POST")
        guard let outcomes else {
            throw APIError(status: 503, code: "outcomes_disabled", message: "outcome tracking is off on this server")
        }
        let json = try Self.parseJSONBody(request.body)
        guard case .object(let members) = json else { throw APIError.badField("(body)", "expected a JSON object") }
        var type: String?
        var token: String?
        var user: String?
        var value = 0.0
        var time: Double?
        for (key, v) in members {
            switch key {
            case "type":
                guard case .string(let s) = v, s == "click" || s == "conversion" else {
                    throw APIError.badField("type", "'type' must be \"click\" or \"conversion\"")
                }
                type = s
            case "token":
                guard case .string(let s) = v else { throw APIError.badField("token", "'token' must be a string") }
                token = s
            case "user":
                guard case .string(let s) = v else { throw APIError.badField("user", "'user' must be a string") }
                user = try Self.user(s)
            case "value":
                guard case .number(let n) = v, n.isFinite, n >= 0, n <= 1e12 else {
                    throw APIError.badField("value", "'value' must be a number from 0 to 1e12")
                }
                value = n
            case "ts":
                switch v {
                case .number(let n):
                    guard let t = Timestamp(seconds: n) else {
                        throw APIError.badField("ts", "'ts' must be epoch seconds or ISO-8601 in the years 0001-9999")
                    }
                    time = t.seconds
                case .string(let s):
                    guard let t = Timestamp(iso8601: s) else {
                        throw APIError.badField("ts", "'ts' must be epoch seconds or ISO-8601 in the years 0001-9999")
                    }
                    time = t.seconds
                default: throw APIError.badField("ts", "'ts' must be epoch seconds or an ISO-8601 string")
                }
            default:
                throw APIError.badField(key, "unknown field '\(key)' (expected type, token, user, value, ts)")
            }
        }
        guard let type else { throw APIError.badField("type", "'type' is required: \"click\" or \"conversion\"") }
        let now = state.clock()
        let item: Feedback
        if let token {
            let claims: ExposureClaims
            switch outcomes.signer.verify(token) {
            case .success(let c): claims = c
            case .failure(let refusal):
                var e = APIError(
                    status: 401, code: "invalid_token",
                    message: refusal == .malformed
                        ? "'token' is not an exposure token" : "'token' is not signed by this server")
                e.field = "token"
                throw e
            }
            let age = now - Double(claims.time)
            guard age <= outcomes.tokenWindow else {
                var e = APIError(
                    status: 410, code: "token_expired",
                    message: "the exposure token is older than \(Int(outcomes.tokenWindow)) seconds")
                e.field = "token"
                throw e
            }
            guard age >= -300 else {
                var e = APIError(status: 401, code: "invalid_token", message: "the exposure token is from the future")
                e.field = "token"
                throw e
            }
            if user != nil { throw APIError.badField("user", "send either 'token' or 'user', not both") }
            item =
                type == "click"
                ? .click(claims, token: token) : .tokenConversion(claims, token: token, value: value, time: time ?? now)
        } else {
            guard type == "conversion" else {
                throw APIError.badField("token", "a click needs the 'token' of the exposure it clicks")
            }
            guard let user else {
                throw APIError.badField("user", "a conversion needs the exposure's 'token' or the 'user' id")
            }
            // Attributing by user id writes for a user the caller names: the ingest token is required.
            try ingest.access.check(request)
            let t = time ?? now
            guard t <= now + 300 else { throw APIError.badField("ts", "'ts' is in the future") }
            item = .userConversion(user: user, value: value, time: t)
        }
        let promise = eventLoop.makePromise(of: FeedbackOutcome.self)
        outcomes.collector.submit(item) { promise.completeWith($0) }
        let allocator = self.allocator
        let logger = state.logger
        return .deferred(
            promise.futureResult.map { outcome -> HTTPResponse in
                switch outcome {
                case .counted(let n):
                    return HTTPResponse(status: 204, headers: [("tessera-attributed", String(n))], body: ByteBuffer())
                case .duplicate:
                    return HTTPResponse(status: 204, headers: [("tessera-feedback", "duplicate")], body: ByteBuffer())
                case .unknownExposure:
                    return APIError(
                        status: 410, code: "exposure_unknown",
                        message: "the token's revision or slot is not known here; nothing was counted"
                    ).response(allocator: allocator)
                }
            }.flatMapErrorThrowing { error in
                APIError.internalError("storage_error", "counting the feedback failed", error: error, logger: logger)
                    .response(allocator: allocator)
            })
    }

    // MARK: - Results

    /// `GET /v1/admin/experiments[/{key}]`, `GET /v1/admin/slots/{slot}`, `GET /v1/admin/decisions`.
    func outcomeReport(_ request: HTTPRequest) -> HTTPHandlerResult {
        let reweight = request.path.hasPrefix("/v1/admin/experiments/") && request.path.hasSuffix("/reweight")
        let outcomes: OutcomeContext
        do throws(APIError) {
            try requireMethod(request, reweight ? "POST" : "GET")
            try requireAdmin(request)
            guard let enabled = self.outcomes else {
                throw APIError(status: 503, code: "outcomes_disabled", message: "outcome tracking is off on this server")
            }
            outcomes = enabled
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
        let report = outcomes.report
        let collector = outcomes.collector
        let catalog = engine.map { OutcomeCatalog($0) }
        let path = request.path
        let params = QueryParameters(request.query)
        if path == "/v1/admin/decisions" {
            let after = params["after"].flatMap { UInt64($0) }
            let limit = params["limit"].flatMap { Int($0) } ?? 1000
            var since = -Double.infinity
            if let s = params["since"] {
                if let n = Double(s), let t = Timestamp(seconds: n) {
                    since = t.seconds
                } else if let t = Timestamp(iso8601: s) {
                    since = t.seconds
                } else {
                    return .immediate(
                        APIError.badField("since", "'since' must be epoch seconds or ISO-8601").response(allocator: allocator))
                }
            }
            let from = since
            guard (1...100_000).contains(limit) else {
                return .immediate(
                    APIError.badField("limit", "'limit' must be from 1 to 100000").response(allocator: allocator))
            }
            return onContentThread {
                var out: [UInt8] = []
                var catalogs: [UInt64: OutcomeCatalog] = [:]
                for (seq, e) in try report.decisions(after: after, since: from, limit: limit) {
                    if catalogs[e.revision] == nil, let c = try report.catalog(e.revision) { catalogs[e.revision] = c }
                    JSONWriter.append(DecisionLine.json(seq, e, catalogs[e.revision]), to: &out)
                    out.append(0x0A)
                }
                var body = ByteBufferAllocator().buffer(capacity: out.count)
                body.writeBytes(out)
                return HTTPResponse(status: 200, headers: [("content-type", "application/x-ndjson")], body: body)
            }
        }
        return onContentThread {
            let value: JSONValue
            if reweight {
                // Re-computes every bandit now (after committing what the rings hold) instead of waiting for
                // --bandit-interval: for operators, and for the simulation, which re-weights every N exposures
                // so that its runs repeat exactly for a seed.
                let key = QueryParameters.decode(
                    path.dropFirst("/v1/admin/experiments/".count).dropLast("/reweight".count))
                try collector.recomputeBandits()
                guard let entry = collector.banditWeights.entries[key] else {
                    throw APIError(status: 404, code: "unknown_bandit", message: "no bandit experiment '\(key)'")
                }
                value = .object([("experiment", .string(key)), ("bandit", Self.weightsJSON(entry))])
            } else if path == "/v1/admin/experiments" {
                var keys = try report.experimentKeys()
                for slot in catalog?.slots ?? [] {
                    for o in slot.outcomes { if let e = o.experiment, !keys.contains(e) { keys.append(e) } }
                }
                var rows: [JSONValue] = []
                for key in keys.sorted() { if let r = try report.experiment(key, catalog: catalog) { rows.append(r) } }
                value = .object([("experiments", .array(rows))])
            } else if path.hasPrefix("/v1/admin/experiments/"), path.hasSuffix("/weights") {
                // A bandit's weight history, oldest first.
                let key = QueryParameters.decode(
                    path.dropFirst("/v1/admin/experiments/".count).dropLast("/weights".count))
                let history = try collector.banditHistory(key)
                value = .object([("experiment", .string(key)), ("history", .array(history.map(Self.weightsJSON)))])
            } else if path.hasPrefix("/v1/admin/experiments/") {
                let key = QueryParameters.decode(path.dropFirst("/v1/admin/experiments/".count))
                guard case .object(var members)? = try report.experiment(key, catalog: catalog) else {
                    throw APIError(status: 404, code: "unknown_experiment", message: "no experiment '\(key)'")
                }
                if let entry = collector.banditWeights.entries[key] {
                    members.append(("bandit", Self.weightsJSON(entry)))
                }
                value = .object(members)
            } else {
                let slot = QueryParameters.decode(path.dropFirst("/v1/admin/slots/".count))
                guard !slot.isEmpty else { throw APIError(status: 404, code: "not_found", message: "expected /v1/admin/slots/{slot}") }
                value = try report.slot(slot)
            }
            var out: [UInt8] = []
            JSONWriter.append(value, to: &out)
            out.append(0x0A)
            return Self.jsonResponse(out)
        }
    }

    /// One set of bandit weights: version, when, and the weights per group ("" is everyone else).
    static func weightsJSON(_ e: BanditWeights.Entry) -> JSONValue {
        .object([
            ("version", .number(Double(e.version))), ("computed_at", .string(Timestamp.format(e.computedAt))),
            ("weights", .object(e.weights.keys.sorted().map { g in
                (g.isEmpty ? "*" : g, .array((e.weights[g] ?? []).map { .number($0) }))
            })),
        ])
    }

    /// `GET /v1/admin/segments`: users per segment, pairwise overlap (Jaccard), small-segment warnings, from a scan
    /// of every profile on the content thread.
    func segmentsReport(_ request: HTTPRequest) -> HTTPHandlerResult {
        let engine: DecisionEngine
        do throws(APIError) {
            try requireMethod(request, "GET")
            try requireAdmin(request)
            engine = try liveEngine()
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
        let store = state.store
        let now = state.clock()
        return onContentThread {
            let report = try ProfileReader(store: store).withSnapshot { snapshot in
                try SegmentReport(engine: engine, snapshot: snapshot, now: now)
            }
            var out: [UInt8] = []
            JSONWriter.append(report.json, to: &out)
            out.append(0x0A)
            return Self.jsonResponse(out)
        }
    }
}
