/// What a `ServerSession` keeps for one open stream: the request head while it arrives, and the
/// response (header block and body) until the stream closes.
final class StreamState {
    /// The request head, filled by the header callbacks.
    var head = RequestHead()
    /// The submitted response's header block; nghttp2 points into it until HEADERS is sent.
    var responseHeaders: ResponseHeaderBlock?  // freed in deinit
    /// The submitted response body.
    var body: (any ResponseBody)?
    /// Body bytes handed to nghttp2 by the data source read callback so far.
    var readOffset = 0
    /// Body bytes written out by the send-data callback so far.
    var sendOffset = 0
    /// True when the stream is reset with NO_ERROR once the response is out, while the client
    /// is still sending (RFC 9113 §8.1: a complete early response, e.g. 413).
    var resetAfterResponse = false
    /// True while the data source returned `NGHTTP2_ERR_DEFERRED` and awaits `resumeData`.
    var deferred = false
    /// Neighbours in the session's list of open streams (see `ServerSession.firstStream`); `next` holds the
    /// list's one reference to each state besides the retain in nghttp2's user data, so it is unowned.
    unowned(unsafe) var previous: StreamState?
    unowned(unsafe) var next: StreamState?

    /// A stream with nothing received yet.
    init() {}

    deinit { responseHeaders?.deallocate() }

    /// True once a response was submitted.
    var hasResponse: Bool { responseHeaders != nil }
}
