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
    /// Writes run on the content thread and are answered after their transaction commits; a bad line is a
    /// 400 naming `line:column`, and nothing is written then. The body is the one the HTTP layer buffered
    /// (up to `--max-body-size`); larger lists go through `tessera lists import`.
    func list(_ request: HTTPRequest) -> HTTPHandlerResult {
        let name = String(request.path.dropFirst(Self.listsPrefix.count))
        let format: ListMembers.Format
        do throws(APIError) {
            try requireMethod(request, "GET", "PUT", "PATCH", "DELETE")
            try requireAdmin(request)
            guard DataStore.isValidListName(name) else {
                throw APIError.badField("name", "a list name is 1 to 64 letters, digits and _ . : - (got '\(name)')")
            }
            format = try Self.listFormat(request)
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
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
            let mode: DataStore.ListWriteMode = request.method == "PUT" ? .replace : .merge
            let body = request.body
            return onContentThread {
                var members = ListMembers(format: format)
                do {
                    try body.withUnsafeReadableBytes { try members.add(text: $0) }
                } catch let error as ListMembers.ParseError {
                    throw APIError(
                        status: 400, code: "invalid_list",
                        message: "line \(error.line):\(error.column): \(error.message)",
                        field: "body")
                }
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
    }

    private static func listFormat(_ request: HTTPRequest) throws(APIError) -> ListMembers.Format {
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
