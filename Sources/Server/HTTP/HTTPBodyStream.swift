/// A request body taken piece by piece as it arrives instead of buffered whole: for uploads larger than
/// `--max-body-size` (list segments of millions of ids) whose receiver can consume them incrementally.
///
/// An `HTTPRequestHandler` offers one from ``HTTPRequestHandler/bodyStream(for:)`` when a request's head
/// arrives with a body to follow. The transport then calls ``receive(_:)`` with each piece on the
/// connection's loop, in order, inside the read that delivered it (so HTTP/2 flow control and TCP
/// back-pressure pace the client to the consumer), then exactly one of ``finish()`` (the body is complete)
/// or ``cancel()`` (the stream was reset, the connection closed, or the body went past ``maxBodySize``).
/// Loop-bound, like the handler.
public protocol HTTPBodyStream: AnyObject {
    /// The largest body this request may carry; it replaces `--max-body-size` for this request.
    var maxBodySize: Int { get }

    /// The next piece of the body. Returns nil to go on, or the response that ends the request now (for
    /// example a 400 naming the bad line): it is sent at once and the rest of the body is discarded.
    func receive(_ bytes: UnsafeRawBufferPointer) -> HTTPResponse?

    /// The whole body has arrived (no ``receive(_:)`` returned a response): answers the request.
    func finish() -> HTTPHandlerResult

    /// The request ended without ``finish()``: nothing is answered; release what was held.
    func cancel()
}

extension HTTPRequestHandler {
    /// No request body is streamed unless the handler says so.
    public func bodyStream(for head: HTTPRequest) -> (any HTTPBodyStream)? { nil }
}
