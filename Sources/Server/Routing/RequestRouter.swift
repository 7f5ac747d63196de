import Decision
import Logging
import NIOCore
import Outcomes
import Store

/// Answers every request on one event loop: routes by path, decides, renders, reports.
///
/// Loop-bound: it owns this loop's LMDB read transaction, response scratch buffers, metrics and its
/// reference to the live ``DecisionEngine`` (swapped by ``install(_:)`` on this loop when a new revision
/// is published), so the request path shares nothing mutable with other cores.
final class RequestRouter: HTTPRequestHandler {
    let eventLoop: any EventLoop
    let state: ServerState
    let reader: ProfileReader
    /// The profile writer and who may use it.
    let ingest: IngestContext
    let metrics = LoopMetrics()
    let allocator = ByteBufferAllocator()
    private(set) var engine: DecisionEngine?

    // Reused per request; capacity is kept.
    var out: [UInt8] = []
    var scratch: [UInt8] = []
    var choices: [SlotChoice] = []

    /// Rendered blocks of this loop (see ``RenderCache``).
    let renderCache: RenderCache

    /// Outcome measuring, when on: the shared collector and signer, and this loop's exposure ring.
    let outcomes: OutcomeContext?
    let exposures: ExposureRing?
    /// The next exposure's nonce (random start per loop, so loops do not repeat each other's).
    var nonce = UInt32.random(in: 0...UInt32.max)
    /// Byte ranges of the exposure tokens in `out` (left out of the ETag).
    var tokenRanges: [Range<Int>] = []
    /// The bandit weights in force on this loop (swapped whole by ``ServerState/installEverywhere(_:)-(BanditWeights)``).
    var bandits: BanditWeights?

    init(
        eventLoop: any EventLoop, state: ServerState, reader: ProfileReader, ingest: IngestContext,
        renderCacheBytes: Int = 0, outcomes: OutcomeContext? = nil
    ) {
        self.eventLoop = eventLoop
        self.state = state
        self.reader = reader
        self.ingest = ingest
        self.outcomes = outcomes
        self.exposures = outcomes?.collector.makeRing()
        self.bandits = outcomes?.collector.banditWeights
        self.renderCache = RenderCache(budget: renderCacheBytes)
        out.reserveCapacity(16 * 1024)
        scratch.reserveCapacity(8 * 1024)
    }

    /// Makes `engine` the one this loop serves from the next request on.
    func install(_ engine: DecisionEngine) {
        eventLoop.preconditionInEventLoop()
        // Revisions only move forward (a rollback is a new revision); a late install of an older one is ignored.
        if let current = self.engine, current.revision >= engine.revision { return }
        self.engine = engine
        outcomes?.collector.register(engine)
        renderCache.removeAll()
        metrics.adopt(engine)
    }

    func handle(_ request: HTTPRequest) -> HTTPHandlerResult {
        let start = NIODeadline.now()
        let route: Route
        let result: HTTPHandlerResult
        switch request.path {
        case "/v1/decide":
            route = .decide
            result = .immediate(answer { () throws(APIError) in try decide(request) })
        case "/healthz":
            route = .healthz
            result = .immediate(answer { () throws(APIError) in try health(request) })
        case "/readyz":
            route = .readyz
            result = .immediate(answer { () throws(APIError) in try ready(request) })
        case "/metrics":
            route = .metrics
            result = metricsResponse(request)
        case "/v1/webhooks/cms":
            route = .webhook
            result = webhook(request)
        case "/v1/admin/revisions":
            route = .admin
            result = revisions(request)
        case "/v1/admin/rollback":
            route = .admin
            result = rollback(request)
        case "/v1/preview":
            route = .preview
            result = preview(request)
        case "/v1/profiles/deltas":
            route = .deltas
            result = deferrable { () throws(APIError) in try deltas(request) }
        case "/v1/feedback":
            route = .feedback
            result = deferrable { () throws(APIError) in try feedback(request) }
        case "/v1/admin/segments":
            route = .admin
            result = segmentsReport(request)
        case "/v1/admin/experiments", "/v1/admin/decisions":
            route = .admin
            result = outcomeReport(request)
        case "/v1/ingest/segment":
            route = .ingestSegment
            result = deferrable { () throws(APIError) in try segmentIngest(request) }
        default:
            if request.path.hasPrefix("/v1/profiles/") {
                route = .profile
                result = deferrable { () throws(APIError) in try profile(request) }
            } else if request.path.hasPrefix("/v1/admin/experiments/") || request.path.hasPrefix("/v1/admin/slots/") {
                route = .admin
                result = outcomeReport(request)
            } else if request.path.hasPrefix(Self.listsPrefix) {
                route = .admin
                result = list(request)
            } else if request.path.hasPrefix("/v1/slots/") {
                route = .slot
                result = .immediate(answer { () throws(APIError) in try slot(request) })
            } else {
                route = .other
                result = .immediate(
                    APIError(status: 404, code: "not_found", message: "no route for \(request.path)")
                        .response(allocator: allocator))
            }
        }
        return recorded(result, route: route, start: start)
    }

    /// `result`, with its answer counted in this loop's metrics for `route` (now, or when a deferred answer
    /// arrives). Every answer goes through here: `handle` and streamed bodies (``ListUpload``) alike.
    func recorded(_ result: HTTPHandlerResult, route: Route, start: NIODeadline) -> HTTPHandlerResult {
        switch result {
        case .immediate(let response):
            metrics.record(route: route, status: response.status, nanoseconds: (NIODeadline.now() - start).nanoseconds)
            return result
        case .deferred(let future):
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            let allocator = self.allocator
            let logger = state.logger
            let answered = future.flatMapErrorThrowing { error in
                APIError.internalError("internal_error", "the request failed", error: error, logger: logger)
                    .response(allocator: allocator)
            }
            answered.whenSuccess { response in
                bound.value.metrics.record(
                    route: route, status: response.status, nanoseconds: (NIODeadline.now() - start).nanoseconds)
            }
            return .deferred(answered)
        }
    }

    /// Runs a route that may answer later; its thrown errors answer at once.
    @inline(__always)
    private func deferrable(_ body: () throws(APIError) -> HTTPHandlerResult) -> HTTPHandlerResult {
        do {
            return try body()
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
    }

    @inline(__always)
    private func answer(_ body: () throws(APIError) -> HTTPResponse) -> HTTPResponse {
        do {
            return try body()
        } catch {
            return error.response(allocator: allocator)
        }
    }

    /// 405 unless `request.method` is `allowed`.
    func requireMethod(_ request: HTTPRequest, _ allowed: String) throws(APIError) {
        guard request.method == allowed else { throw methodNotAllowed(request, [allowed]) }
    }

    /// 405 unless `request.method` is `first` or `second` (no array is built per request).
    func requireMethod(_ request: HTTPRequest, _ first: String, _ second: String) throws(APIError) {
        guard request.method == first || request.method == second else {
            throw methodNotAllowed(request, [first, second])
        }
    }

    /// 405 unless `request.method` is one of `allowed`.
    func requireMethod(_ request: HTTPRequest, _ first: String, _ second: String, _ more: String...)
        throws(APIError)
    {
        guard request.method == first || request.method == second || more.contains(request.method) else {
            throw methodNotAllowed(request, [first, second] + more)
        }
    }

    /// The 405 answer, with `allow`.
    private func methodNotAllowed(_ request: HTTPRequest, _ allowed: [String]) -> APIError {
        var e = APIError(
            status: 405, code: "method_not_allowed",
            message: "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: " or "))"
        )
        e.headers = [("allow", allowed.joined(separator: ", "))]
        return e
    }

    /// The engine, or 503 while no bundle has been compiled.
    func liveEngine() throws(APIError) -> DecisionEngine {
        guard let engine else {
            throw APIError(
                status: 503, code: "no_bundle",
                message: "no compiled bundle yet: run `tessera compile --data \(state.store.path)`")
        }
        return engine
    }

    /// A response whose body is `out`.
    func bytesResponse(status: Int = 200, contentType: String, extraHeaders: [(name: String, value: String)] = [])
        -> HTTPResponse
    {
        var body = allocator.buffer(capacity: out.count)
        body.writeBytes(out)
        if extraHeaders.isEmpty, let shared = Self.sharedHeaders(contentType) {
            return HTTPResponse(status: status, headers: shared, body: body)
        }
        var headers = extraHeaders
        headers.insert(("content-type", contentType), at: 0)
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    static let jsonHeaders = [(name: "content-type", value: "application/json")]
    static let textHeaders = [(name: "content-type", value: "text/plain; charset=utf-8")]
    static let htmlHeaders = [(name: "content-type", value: "text/html; charset=utf-8")]

    /// A header list shared by every response with only this content type (built once, not per response).
    @inline(__always)
    static func sharedHeaders(_ contentType: String) -> [(name: String, value: String)]? {
        switch contentType {
        case "application/json": jsonHeaders
        case "text/plain; charset=utf-8": textHeaders
        case "text/html; charset=utf-8": htmlHeaders
        default: nil
        }
    }

    private func health(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        try requireMethod(request, "GET", "HEAD")
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: "ok\n".utf8)
        return bytesResponse(contentType: "text/plain; charset=utf-8")
    }

    private func ready(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        try requireMethod(request, "GET", "HEAD")
        let engine = try liveEngine()
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: "ready: revision \(engine.revision)\n".utf8)
        return bytesResponse(contentType: "text/plain; charset=utf-8")
    }
}
