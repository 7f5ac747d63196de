import JSON
import Logging
public import NIOCore

/// An error answer: status, a stable machine-readable code, a human message and, when one field is at
/// fault, its name (and `line:column` when the body could not be parsed). The one type every route turns
/// its failures into, so every 4xx has the same shape.
public struct APIError: Error, Sendable {
    /// HTTP status.
    public var status: Int
    /// Stable code, e.g. `invalid_json`, `missing_field`.
    public var code: String
    /// What is wrong, for a person.
    public var message: String
    /// The request field at fault, if any.
    public var field: String?
    /// Extra response headers (e.g. `allow` on 405).
    public var headers: [(name: String, value: String)] = []

    /// An error answer.
    public init(status: Int, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    /// 500 for a failure that is the server's, not the client's. The error itself goes to the log with a
    /// reference; the client gets a stable `code`, `what` failed and the reference, never the error's text
    /// (an error's description can embed stored data, paths or whole values).
    static func internalError(_ code: String, _ what: String, error: any Error, logger: Logger) -> APIError {
        let reference = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        logger.error(
            "http.internal_error",
            metadata: ["error.code": "\(code)", "error.reference": "\(reference)", "error": "\(error)"])
        return APIError(
            status: 500, code: code, message: "\(what); the server log has the details under reference \(reference)")
    }

    /// 400 for a bad field.
    static func badField(_ field: String, _ message: String) -> APIError {
        APIError(status: 400, code: "invalid_field", message: message, field: field)
    }

    /// The JSON response for this error.
    func response(allocator: ByteBufferAllocator) -> HTTPResponse {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"error":"#.utf8)
        JSONWriter.appendString(code, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONWriter.appendString(message, to: &out)
        if let field {
            out.append(contentsOf: #","field":"#.utf8)
            JSONWriter.appendString(field, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        var body = allocator.buffer(capacity: out.count)
        body.writeBytes(out)
        return HTTPResponse(status: status, headers: [("content-type", "application/json")] + headers, body: body)
    }
}
