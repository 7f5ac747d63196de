import Decision
import Foundation
import JSON
import Logging
import NIOCore
import Store

extension RequestRouter {
    static let listsPrefix = "/v1/admin/lists/"

    /// `/v1/admin/lists/{name}` (admin token): `GET` its record, `PUT` replaces it with the body's ids, `PATCH`
    /// adds the body's ids, `DELETE` deletes it.
    ///
    /// The body is one id per line, or NDJSON with `content-type: application/x-ndjson` (or `?format=ndjson`).
    /// A `PUT`/`PATCH` body is streamed (``ListUpload``): parsed as it arrives, up to `--max-list-upload-size`,
    /// never held whole. Writes run on the content thread and are answered after their transaction commits;
    /// a bad line is a 400 naming `line:column` (sent as soon as the line arrives), and nothing is written then.
    /// This entry point answers the requests that arrive without a body to stream (GET, DELETE, or a PUT/PATCH
    /// of an empty list).
    func list(_ request: HTTPRequest) -> HTTPHandlerResult {
        let target: ListTarget
        do throws(APIError) {
            try requireMethod(request, "GET", "PUT", "PATCH", "DELETE")
            target = try listTarget(request)
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
        let name = target.name
        let state = self.state
        let clock = state.clock
        switch request.method {
        case "GET":
            return onContentThread {
                guard let info = try state.store.listInfo(name), info.live else { throw Self.noList(name) }
                return Self.jsonResponse(Self.listJSON(info, extra: ""))
            }
        case "DELETE":
            return onContentThread {
                guard let info = try state.store.deleteList(name, now: clock()) else { throw Self.noList(name) }
                state.logger.notice("list segment deleted", metadata: ["list.name": "\(name)"])
                let missing = state.checkLists()
                let warning =
                    missing.contains(name)
                    ? #","warning":"the served bundle tests this list: those tests are false until it is imported again""#
                    : ""
                return Self.jsonResponse(Self.listJSON(info, extra: warning))
            }
        default:
            var members = ListMembers(format: target.format)
            do {
                try request.body.withUnsafeReadableBytes { raw throws(ListMembers.ParseError) in try members.add(text: raw) }
            } catch {
                return .immediate(Self.invalidList(error).response(allocator: allocator))
            }
            return writeList(target, members: members, mode: request.method == "PUT" ? .replace : .merge)
        }
    }

    /// Where a list request points and how its body is written.
    struct ListTarget {
        /// The list's name.
        var name: String
        /// The body's format.
        var format: ListMembers.Format
    }

    /// The list a request names, after the admin check: 401/403 without the admin token, 400 for a bad name
    /// or format.
    func listTarget(_ request: HTTPRequest) throws(APIError) -> ListTarget {
        try requireAdmin(request)
        let name = String(request.path.dropFirst(Self.listsPrefix.count))
        guard DataStore.isValidListName(name) else {
            throw APIError.badField("name", "a list name is 1 to 64 letters, digits and _ . : - (got '\(name)')")
        }
        return ListTarget(name: name, format: try Self.listFormat(request))
    }

    /// Writes `members` as list `target` on the content thread; answered after the commit (201 when created).
    func writeList(_ target: ListTarget, members: ListMembers, mode: DataStore.ListWriteMode) -> HTTPHandlerResult {
        let state = self.state
        let clock = state.clock
        let name = target.name
        return onContentThread {
            let summary: DataStore.ListWriteSummary
            do {
                summary = try state.store.writeList(name, members: members, mode: mode, now: clock())
            } catch let error as ListLimitReached {
                throw APIError(
                    status: 409, code: "too_many_lists",
                    message: "\(error)",
                    field: "name")
            }
            state.logger.info(
                "list segment written",
                metadata: [
                    "list.name": "\(name)", "list.count": "\(summary.info.count)", "list.mode": "\(mode.rawValue)",
                ])
            state.checkLists()
            let extra = #","added":\#(summary.added),"removed":\#(summary.removed),"created":\#(summary.created)"#
            return Self.jsonResponse(Self.listJSON(summary.info, extra: extra), status: summary.created ? 201 : 200)
        }
    }

    /// The 400 for an upload line that cannot be read.
    static func invalidList(_ error: ListMembers.ParseError) -> APIError {
        APIError(status: 400, code: "invalid_list", message: "line \(error.line):\(error.column): \(error.message)", field: "body")
    }

    static func listFormat(_ request: HTTPRequest) throws(APIError) -> ListMembers.Format {
        if let asked = QueryParameters(request.query)["format"] {
            guard let format = ListMembers.Format(rawValue: asked) else {
                throw APIError.badField("format", "'format' must be 'lines' or 'ndjson'")
            }
            return format
        }
        let type = request.header("content-type") ?? ""
        return type.hasPrefix("application/x-ndjson") || type.hasPrefix("application/jsonl")
            || type.hasPrefix("application/ndjson") ? .ndjson : .lines
    }

    private static func noList(_ name: String) -> APIError {
        APIError(status: 404, code: "unknown_list", message: "no list segment named '\(name)'", field: "name")
    }

    private static func listJSON(_ info: DataStore.ListInfo, extra: String) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"list":"#.utf8)
        JSONWriter.appendString(info.name, to: &out)
        out.append(contentsOf: #","number":\#(info.number),"count":\#(info.count),"live":\#(info.live)"#.utf8)
        out.append(contentsOf: extra.utf8)
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}

/// The streamed body of `PUT`/`PATCH /v1/admin/lists/{name}`: each piece is parsed into ``ListMembers`` on the
/// connection's loop as it arrives (ids are small and parsing them costs about what reading them does), so an
/// upload of ten million ids needs the memory of its packed ids, not of its text, and a bad line is answered
/// while the client is still sending. A request the head already refuses (no admin token, bad name or format)
/// is answered at its first piece. Once complete, the ids are written on the content thread like any list write.
final class ListUpload: HTTPBodyStream {
    let maxBodySize: Int
    private let router: RequestRouter
    private let mode: DataStore.ListWriteMode
    /// The list and its format, or why the head was refused (the answer to the request, whatever its body).
    private let target: Result<RequestRouter.ListTarget, APIError>
    private var members: ListMembers
    /// When the head arrived, for the request's latency in the metrics.
    private let start = NIODeadline.now()

    init(router: RequestRouter, head: HTTPRequest) {
        self.router = router
        self.maxBodySize = router.state.maxListUploadSize
        self.mode = head.method == "PUT" ? .replace : .merge
        let target = Result { () throws(APIError) in try router.listTarget(head) }
        self.target = target
        self.members = ListMembers(format: (try? target.get())?.format ?? .lines)
    }

    func receive(_ bytes: UnsafeRawBufferPointer) -> HTTPResponse? {
        if case .failure(let refusal) = target { return counted(refusal.response(allocator: router.allocator)) }
        do {
            try members.add(chunk: bytes)
            return nil
        } catch {
            cancel()
            return counted(RequestRouter.invalidList(error).response(allocator: router.allocator))
        }
    }

    func finish() -> HTTPHandlerResult {
        let target: RequestRouter.ListTarget
        switch self.target {
        case .success(let accepted): target = accepted
        case .failure(let refusal): return .immediate(counted(refusal.response(allocator: router.allocator)))
        }
        do {
            try members.finishChunks()
        } catch {
            cancel()
            return .immediate(counted(RequestRouter.invalidList(error).response(allocator: router.allocator)))
        }
        let members = self.members
        cancel()
        return router.recorded(router.writeList(target, members: members, mode: mode), route: .admin, start: start)
    }

    /// An early answer, counted in the metrics like every other.
    private func counted(_ response: HTTPResponse) -> HTTPResponse {
        _ = router.recorded(.immediate(response), route: .admin, start: start)
        return response
    }

    /// Lets go of the ids read so far.
    func cancel() {
        members = ListMembers(format: members.format)
    }
}

extension RequestRouter {
    /// `PUT`/`PATCH /v1/admin/lists/{name}` stream their body (``ListUpload``); every other body is buffered.
    func bodyStream(for head: HTTPRequest) -> (any HTTPBodyStream)? {
        guard head.method == "PUT" || head.method == "PATCH", head.path.hasPrefix(Self.listsPrefix) else { return nil }
        return ListUpload(router: self, head: head)
    }
}
