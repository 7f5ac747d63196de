import Decision
import JSON
import Logging
import NIOCore
import Store

extension RequestRouter {
    /// `POST /v1/profiles/deltas`: validates every delta here, hands the valid ones to the group-committing
    /// writer, and answers once they are committed (`.deferred`), reporting each delta.
    func deltas(_ request: HTTPRequest) throws(APIError) -> HTTPHandlerResult {
        try requireMethod(request, "POST")
        try ingest.access.check(request)
        let engine = try liveEngine()
        let batch = try DeltaBatch(
            body: request.body, contentType: request.header("content-type"), bundle: engine.bundle)
        let valid = batch.valid
        let allocator = self.allocator
        let logger = state.logger
        guard !valid.isEmpty else { return .immediate(Self.json(batch.report([]), allocator: allocator)) }
        let promise = eventLoop.makePromise(of: [DeltaOutcome].self)
        ingest.writer.submit(valid) { promise.completeWith($0) }
        return .deferred(
            promise.futureResult.map { outcomes in Self.json(batch.report(outcomes), allocator: allocator) }
                .flatMapErrorThrowing { error in Self.storageFailure(error, allocator: allocator, logger: logger) })
    }

    /// `GET /v1/profiles/{id}` (everything stored, as JSON) and `DELETE /v1/profiles/{id}[?seq=N]` (erasure).
    func profile(_ request: HTTPRequest) throws(APIError) -> HTTPHandlerResult {
        try requireMethod(request, "GET", "DELETE")
        try ingest.access.check(request)
        let user = try Self.user(QueryParameters.decode(request.path.dropFirst("/v1/profiles/".count)))
        let allocator = self.allocator
        let logger = state.logger
        if request.method == "DELETE" {
            var seq: UInt64?
            if let s = QueryParameters(request.query)["seq"] {
                guard let n = ProfileDelta.seq(Substring(s)) else {
                    throw APIError.badField("seq", "'seq' must be a whole number from 1 to \(ProfileDelta.maxSeq)")
                }
                seq = n
            }
            let promise = eventLoop.makePromise(of: ErasureOutcome.self)
            ingest.writer.erase(user: user, seq: seq) { promise.completeWith($0) }
            return .deferred(
                promise.futureResult.map { outcome in
                    var out: [UInt8] = []
                    JSONWriter.append(
                        .object([
                            ("user", .string(user)), ("erased", .bool(outcome.existed)),
                            ("tombstone_seq", .number(Double(outcome.tombstoneSeq))),
                        ]), to: &out)
                    out.append(0x0A)
                    return Self.json(out, allocator: allocator)
                }.flatMapErrorThrowing { error in Self.storageFailure(error, allocator: allocator, logger: logger) })
        }
        let engine = try liveEngine()
        let now = state.clock()
        let writer = ingest.writer
        let found: (data: ProfileData?, tombstone: UInt64?)
        do {
            found = try reader.withSnapshot { snapshot in
                (try snapshot.profile(user).map(ProfileData.init), try snapshot.tombstoneSeq(user, writer: writer))
            }
        } catch {
            throw APIError.internalError("storage_error", "reading the profile failed", error: error, logger: state.logger)
        }
        guard let data = found.data else {
            if let seq = found.tombstone {
                throw APIError(
                    status: 404, code: "erased",
                    message: "user '\(user)' was erased (deltas up to seq \(seq) are ignored)")
            }
            throw APIError(status: 404, code: "unknown_user", message: "no profile stored for '\(user)'")
        }
        var out: [UInt8] = []
        JSONWriter.append(data.exportJSON(user: user, bundle: engine.bundle, now: now), to: &out)
        out.append(0x0A)
        return .immediate(Self.json(out, allocator: allocator))
    }

    /// A 200 JSON response of `bytes`.
    static func json(_ bytes: [UInt8], allocator: ByteBufferAllocator) -> HTTPResponse {
        var body = allocator.buffer(capacity: bytes.count)
        body.writeBytes(bytes)
        return HTTPResponse(status: 200, headers: [("content-type", "application/json")], body: body)
    }

    /// 503 when the writer is stopping or its queue is full (with Retry-After), else 500: nothing of the
    /// request was committed.
    static func storageFailure(_ error: any Error, allocator: ByteBufferAllocator, logger: Logger) -> HTTPResponse {
        switch error as? DeltaWriterError {
        case .stopped?:
            return APIError(
                status: 503, code: "shutting_down", message: "the server is shutting down; nothing was committed, retry"
            ).response(allocator: allocator)
        case .full?:
            var e = APIError(
                status: 503, code: "overloaded",
                message: "too many deltas are waiting to be committed; nothing from this request was stored, retry")
            e.headers = [("retry-after", "1")]
            return e.response(allocator: allocator)
        case nil:
            return APIError.internalError(
                "storage_error", "the commit failed, nothing from this request was stored", error: error,
                logger: logger
            ).response(allocator: allocator)
        }
    }
}
