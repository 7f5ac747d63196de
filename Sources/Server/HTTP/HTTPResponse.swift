public import NIOCore

/// One HTTP response, written as-is on either protocol. The transport adds `content-length`
/// (unless present) and, on HTTP/1.1, `connection: close` when it is closing the connection.
public struct HTTPResponse: Sendable {
    /// The status code, 100–999 (anything else is sent as 500).
    public var status: Int
    /// Header fields. Connection-specific fields (connection, keep-alive, transfer-encoding,
    /// upgrade) are dropped on HTTP/2; names are lower-cased there.
    public var headers: [(name: String, value: String)]
    /// The body; sent without copying on HTTP/1.1, copied once into frames on HTTP/2.
    public var body: ByteBuffer

    /// Makes a response.
    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text response the transport itself sends (413, 431, 500, ...).
    static func plain(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("content-type", "text/plain; charset=utf-8")],
            body: ByteBuffer(string: text + "\n"))
    }
}
