import NGHTTP2
import NIOCore

/// A request on one HTTP/2 stream while its body arrives.
struct HTTP2StreamRequest {
    /// The request head as received.
    var head: RequestHead
    /// Body bytes so far.
    var body: ByteBuffer
    /// True once the request was answered by the transport (413/431): the rest is ignored.
    var isRejected = false
    /// True once the request was handed to the handler.
    var isDispatched = false
    /// The consumer of a streamed body (``HTTPBodyStream``) until it finishes or is cancelled; nil when the
    /// body is buffered in `body`.
    var stream: (any HTTPBodyStream)?
    /// Bytes given to `stream` so far.
    var streamedBytes = 0

    /// A request with `head` and no body yet.
    init(head: RequestHead) {
        self.head = head
        self.body = ByteBuffer()
    }

    /// The declared content-length, if any and valid.
    var declaredContentLength: Int? {
        head.headers.first { $0.name == "content-length" }.flatMap { Int($0.value) }
    }

    /// The transport-neutral request.
    func makeRequest() -> HTTPRequest {
        HTTPRequest(method: head.method, target: head.path, headers: head.headers, body: body)
    }
}
