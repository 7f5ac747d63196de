public import NIOCore

/// Answers requests. One instance per event loop (see `HTTPServer`), called synchronously on
/// that loop by every connection it serves: it is loop-bound and need not be `Sendable`.
public protocol HTTPRequestHandler: AnyObject {
    /// Answers `request`: `.immediate` for a response known now (no allocation beyond the
    /// response itself), `.deferred` for one completed later, e.g. after a group commit.
    func handle(_ request: HTTPRequest) -> HTTPHandlerResult

    /// A consumer for the body of the request whose head is `head` (its body empty), asked once when the
    /// head arrives and a body follows; nil (the default) buffers the body up to `--max-body-size` and calls
    /// ``handle(_:)`` with the whole request. See ``HTTPBodyStream``.
    func bodyStream(for head: HTTPRequest) -> (any HTTPBodyStream)?
}

/// What an `HTTPRequestHandler` returns.
public enum HTTPHandlerResult: Sendable {
    /// The response, available now.
    case immediate(HTTPResponse)
    /// A response that arrives later; a failed future is answered with 500. The future may
    /// belong to any event loop (the connection hops back to its own).
    case deferred(EventLoopFuture<HTTPResponse>)
}
