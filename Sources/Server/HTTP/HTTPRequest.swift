public import NIOCore

/// One HTTP request as the transport hands it to an `HTTPRequestHandler`, the same for HTTP/1.1
/// and HTTP/2.
public struct HTTPRequest: Sendable {
    /// The method, e.g. "GET".
    public var method: String
    /// The path without the query string, e.g. "/v1/decide".
    public var path: String
    /// The query string without "?", or nil when the target has none.
    public var query: String?
    /// Header fields in arrival order, names lower-cased (both protocols).
    public var headers: [(name: String, value: String)]
    /// The request body (empty when there is none).
    public var body: ByteBuffer

    /// Makes a request; `target` is split into `path` and `query` at the first "?".
    public init(method: String, target: String, headers: [(name: String, value: String)], body: ByteBuffer) {
        self.method = method
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            self.path = String(target[..<mark])
            self.query = String(target[target.index(after: mark)...])
        } else {
            self.path = target
            self.query = nil
        }
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (matched case-insensitively), or nil.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name == lowered }?.value
    }
}
