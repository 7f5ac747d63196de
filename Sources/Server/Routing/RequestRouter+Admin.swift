import BundleCompiler
import Decision
import Foundation
import JSON
import Logging
import NIOCore
import Publishing
import Store

extension RequestRouter {
    /// 401/503 unless the request carries the admin bearer token.
    func requireAdmin(_ request: HTTPRequest) throws(APIError) {
        guard let token = state.adminToken else {
            throw APIError(
                status: 503, code: "admin_disabled",
                message: "no admin token configured: start the server with --admin-token or TESSERA_ADMIN_TOKEN")
        }
        guard BearerToken.matches(request.header("authorization"), token: token) else {
            var e = APIError(status: 401, code: "unauthorized", message: "send 'Authorization: Bearer <admin token>'")
            e.headers = [("www-authenticate", "Bearer")]
            throw e
        }
    }

    /// Runs `body` on the content thread and answers with its response (errors become 500s; APIErrors their own).
    func onContentThread(_ body: @escaping @Sendable () throws -> HTTPResponse) -> HTTPHandlerResult {
        let future = state.contentThread.run(on: eventLoop) { () -> HTTPResponse in
            do {
                return try body()
            } catch let error as APIError {
                return error.response(allocator: ByteBufferAllocator())
            }
        }
        return .deferred(future)
    }

    /// `GET /v1/admin/revisions`: the revision history, newest first.
    func revisions(_ request: HTTPRequest) -> HTTPHandlerResult {
        do throws(APIError) {
            try requireMethod(request, "GET")
            try requireAdmin(request)
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
        let limit = min(max(Int(QueryParameters(request.query)["limit"] ?? "") ?? 100, 1), 1000)
        let store = state.store
        return onContentThread {
            let current = try store.currentRevision() ?? 0
            var out: [UInt8] = []
            out.append(contentsOf: #"{"current":"#.utf8)
            JSONWriter.appendInteger(Int64(current), to: &out)
            out.append(contentsOf: #","revisions":["#.utf8)
            for (i, entry) in try store.revisionHistory(limit: limit).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(
                    contentsOf: entry.record.isEmpty ? Array(#"{"revision":\#(entry.revision)}"#.utf8) : entry.record)
            }
            out.append(contentsOf: "]}\n".utf8)
            return Self.jsonResponse(out)
        }
    }

    /// `POST /v1/admin/rollback` with `{"revision": N}`: a new revision equal to revision N.
    func rollback(_ request: HTTPRequest) -> HTTPHandlerResult {
        let target: UInt64
        do throws(APIError) {
            try requireMethod(request, "POST")
            try requireAdmin(request)
            let json = try Self.parseJSONBody(request.body)
            guard case .number(let n)? = json["revision"], n >= 1, n == n.rounded(), n < 9e15 else {
                throw APIError.badField("revision", "'revision' must be the number of an earlier revision")
            }
            target = UInt64(n)
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
        let state = self.state
        let eventLoop = self.eventLoop
        let work = state.contentThread.run(on: eventLoop) { () -> (RevisionRecord, CompiledBundle)? in
            guard let raw = try state.store.sources(of: target) else { return nil }
            let sources = try JSONDecoder().decode(BundleSources.self, from: Data(raw))
            return try state.publisher.publish(sources: sources, origin: .rollback, restoring: target)
        }
        let response = work.flatMap { published -> EventLoopFuture<HTTPResponse> in
            guard let (record, bundle) = published else {
                return eventLoop.makeSucceededFuture(
                    APIError(
                        status: 404, code: "unknown_revision",
                        message: "revision \(target) does not exist or has no stored sources", field: "revision"
                    )
                    .response(allocator: ByteBufferAllocator()))
            }
            state.logger.info(
                "rolled back", metadata: ["bundle.revision": "\(record.revision)", "bundle.restored": "\(target)"])
            do {
                let engine = try DecisionEngine(bundle: bundle, revision: record.revision)
                return state.installEverywhere(engine, on: eventLoop).map {
                    var out: [UInt8] = []
                    out.append(
                        contentsOf:
                            #"{"revision":\#(record.revision),"restored_revision":\#(target),"etag":"\"r\#(record.revision)\""}"#
                            .utf8)
                    out.append(0x0A)
                    return Self.jsonResponse(out, headers: [("etag", "\"r\(record.revision)\"")])
                }
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }
        return .deferred(response)
    }

    static func jsonResponse(_ bytes: [UInt8], status: Int = 200, headers: [(name: String, value: String)] = [])
        -> HTTPResponse
    {
        var body = ByteBufferAllocator().buffer(capacity: bytes.count)
        body.writeBytes(bytes)
        return HTTPResponse(status: status, headers: [("content-type", "application/json")] + headers, body: body)
    }
}
