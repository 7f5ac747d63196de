import Decision
import JSON
import Logging
import NIOCore
import Outcomes
import Store
import Targeting

extension RequestRouter {
    /// `POST /v1/ingest/segment`: Segment Spec `identify`/`track`/`page`/`screen` calls, alone or in a
    /// `batch`, become deltas (see ``SegmentSpecMessage``); `messageId` deduplicates. The answer lists every
    /// message as applied, duplicate or rejected, with the traits that were not stored.
    func segmentIngest(_ request: HTTPRequest) throws(APIError) -> HTTPHandlerResult {
        try requireMethod(request, "POST")
        try ingest.access.check(request)
        let engine = try liveEngine()
        let json = try Self.parseJSONBody(request.body)
        let calls = SegmentSpecMessage.calls(json)
        guard calls.count <= DeltaBatch.maxDeltas else {
            throw APIError.badField("batch", "at most \(DeltaBatch.maxDeltas) messages per request")
        }
        var converted: [Result<SegmentSpecMessage.Converted, ProfileInput.Rejection>] = []
        for call in calls {
            do {
                converted.append(.success(try SegmentSpecMessage.convert(call, bundle: engine.bundle)))
            } catch {
                converted.append(.failure(error))
            }
        }
        let valid = converted.compactMap { try? $0.get().delta }
        let allocator = self.allocator
        let logger = state.logger
        func report(_ outcomes: [DeltaOutcome], fed: [Int: String] = [:]) -> HTTPResponse {
            var next = outcomes.makeIterator()
            var counts = (applied: 0, duplicate: 0, rejected: 0)
            var results: [JSONValue] = []
            for (i, c) in converted.enumerated() {
                var entry: [(key: String, value: JSONValue)] = [("index", .number(Double(i)))]
                if case .string(let id)? = calls[i]["messageId"] { entry.append(("messageId", .string(id))) }
                let outcome: DeltaOutcome
                switch c {
                case .failure(let r): outcome = .rejected(r)
                case .success(let m):
                    outcome = next.next() ?? .rejected(.init(field: "(message)", message: "not processed"))
                    if !m.ignoredTraits.isEmpty {
                        entry.append(("ignored_traits", .array(m.ignoredTraits.map { .string($0) })))
                    }
                }
                switch outcome {
                case .applied:
                    counts.applied += 1
                    entry.append(("status", .string("applied")))
                case .duplicate:
                    counts.duplicate += 1
                    entry.append(("status", .string("duplicate")))
                case .rejected(let r):
                    counts.rejected += 1
                    entry += [
                        ("status", .string("rejected")), ("field", .string(r.field)), ("reason", .string(r.message)),
                    ]
                }
                if let status = fed[i] { entry.append(("outcome", .string(status))) }
                results.append(.object(entry))
            }
            var out: [UInt8] = []
            JSONWriter.append(
                .object([
                    ("applied", .number(Double(counts.applied))), ("duplicate", .number(Double(counts.duplicate))),
                    ("rejected", .number(Double(counts.rejected))), ("results", .array(results)),
                ]), to: &out)
            out.append(0x0A)
            return Self.json(out, allocator: allocator)
        }
        // Track calls that carry an exposure token, or complete an order, feed the outcomes too.
        let feedback = outcomes == nil ? [] : calls.enumerated().compactMap { i, call in
            segmentFeedback(call).map { (i, $0) }
        }
        guard !valid.isEmpty || !feedback.isEmpty else { return .immediate(report([])) }
        let promise = eventLoop.makePromise(of: [DeltaOutcome].self)
        if valid.isEmpty { promise.succeed([]) } else { ingest.writer.submit(valid) { promise.completeWith($0) } }
        let deltasDone = promise.futureResult
        guard let outcomes, !feedback.isEmpty else {
            return .deferred(
                deltasDone.map { report($0) }.flatMapErrorThrowing { error in
                    Self.storageFailure(error, allocator: allocator, logger: logger)
                })
        }
        // Each message's outcome status, answered once both the deltas and the feedback are committed.
        var statuses: [EventLoopFuture<(Int, String)>] = []
        for (i, item) in feedback {
            switch item {
            case .failure(let refusal): statuses.append(eventLoop.makeSucceededFuture((i, refusal.status)))
            case .success(let f):
                let p = eventLoop.makePromise(of: FeedbackOutcome.self)
                outcomes.collector.submit(f) { p.completeWith($0) }
                statuses.append(
                    p.futureResult.map { o -> (Int, String) in
                        switch o {
                        case .counted(let n): return (i, "counted for \(n) unit(s)")
                        case .duplicate: return (i, "duplicate")
                        case .unknownExposure: return (i, "exposure unknown")
                        }
                    })
            }
        }
        let all = EventLoopFuture.whenAllSucceed(statuses, on: eventLoop)
        return .deferred(
            deltasDone.and(all).map { outcomes, fed -> HTTPResponse in
                report(outcomes, fed: Dictionary(fed, uniquingKeysWith: { a, _ in a }))
            }.flatMapErrorThrowing { error in Self.storageFailure(error, allocator: allocator, logger: logger) })
    }

    /// The click or conversion a Segment `track` call carries: a call with `properties.exposure_token` is a click
    /// on that exposure (`Order Completed`: a conversion of it); `Order Completed` without a token is a conversion
    /// by `userId` (the ingest token already authorizes naming users). Value: `revenue`, `total` or `value`.
    /// `nil` for other calls; `.failure` names why a token was refused.
    func segmentFeedback(_ call: JSONValue) -> Result<Feedback, SegmentFeedbackRefusal>? {
        guard let outcomes, case .string("track")? = call["type"], case .string(let event)? = call["event"] else { return nil }
        let properties = call["properties"]
        let conversion = event == "Order Completed"
        var value = 0.0
        for name in ["revenue", "total", "value"] {
            if case .number(let n)? = properties?[name], n.isFinite, n >= 0, n <= 1e12 {
                value = n
                break
            }
        }
        let now = state.clock()
        var time = now
        if case .string(let ts)? = call["timestamp"], let t = Timestamp(iso8601: ts), t.seconds <= now + 300 { time = t.seconds }
        if case .string(let token)? = properties?["exposure_token"] {
            guard case .success(let claims) = outcomes.signer.verify(token) else { return .failure(.init("invalid exposure_token")) }
            let age = now - Double(claims.time)
            guard age <= outcomes.tokenWindow, age >= -300 else { return .failure(.init("expired exposure_token")) }
            return .success(
                conversion ? .tokenConversion(claims, token: token, value: value, time: time) : .click(claims, token: token))
        }
        guard conversion, case .string(let user)? = call["userId"], !user.isEmpty, user.utf8.count <= Self.maxUserLength
        else { return nil }
        return .success(.userConversion(user: user, value: value, time: time))
    }
}

/// Why a Segment call's exposure token was not counted (reported per message, the delta still applies).
struct SegmentFeedbackRefusal: Error {
    let status: String
    init(_ status: String) { self.status = status }
}
