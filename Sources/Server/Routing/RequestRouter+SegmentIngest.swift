import Decision
import JSON
import Logging
import NIOCore
import Store

extension RequestRouter {
    /// `POST /v1/ingest/segment`: Segment Spec `identify`/`track`/`page`/`screen` calls, alone or in a
    /// `batch`, become deltas (see ``SegmentSpecMessage``); `messageId` deduplicates. The answer lists every
    /// message as applied, duplicate or rejected, with the traits that were not stored.
    func segmentIngest(_ request: HTTPRequest) throws(APIError) -> HTTPHandlerResult {
        try requireMethod(request, "POST")
        try ingest.access.check(request)
        let engine = try liveEngine()
        let json: JSONValue
        do {
            json = try request.body.withUnsafeReadableBytes { (raw) throws(JSONParseError) in try JSONValue.parse(raw) }
        } catch {
            throw APIError(
                status: 400, code: "invalid_json",
                message: "request body is not valid JSON at \(error.line):\(error.column): \(error.message)")
        }
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
        func report(_ outcomes: [DeltaOutcome]) -> HTTPResponse {
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
        guard !valid.isEmpty else { return .immediate(report([])) }
        let promise = eventLoop.makePromise(of: [DeltaOutcome].self)
        ingest.writer.submit(valid) { promise.completeWith($0) }
        return .deferred(
            promise.futureResult.map(report).flatMapErrorThrowing { error in
                Self.storageFailure(error, allocator: allocator, logger: logger)
            })
    }
}
