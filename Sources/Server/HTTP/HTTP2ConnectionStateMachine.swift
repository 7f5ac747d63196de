import NGHTTP2
import NIOCore

/// HTTP/2 connection logic as a value, above nghttp2's framing: assembles each stream's request
/// from the session's events, enforces the body and header limits, and decides what timeouts,
/// failures and shutdown do. `HTTP2ConnectionHandler` performs the actions it returns.
struct HTTP2ConnectionStateMachine {
    /// Request limits.
    struct Limits {
        /// Largest request body in bytes.
        var maxBodySize: Int
    }

    /// What the handler must do for one stream.
    enum StreamAction {
        /// Nothing yet.
        case none
        /// Hand the complete request to the request handler.
        case dispatch(HTTPRequest)
        /// Answer `status` from the transport, then reset the stream if the client is still sending.
        case reject(status: Int, reason: String)
        /// Answer with a response a body stream returned, then reset the stream if the client is still sending.
        case respond(HTTPResponse)
        /// A streamed body is complete: answer with what its stream's `finish()` returns.
        case finish(any HTTPBodyStream)
    }

    /// What the handler must do for the connection.
    enum ConnectionAction: Equatable {
        /// Nothing.
        case none
        /// Send GOAWAY with `errorCode` now, then close.
        case terminate(errorCode: UInt32)
        /// Send what nghttp2 has queued (its GOAWAY), then close.
        case flushAndClose
        /// Start the two-step graceful GOAWAY; open streams finish.
        case beginGracefulShutdown
    }

    /// Where the connection stands.
    enum Phase: Equatable {
        /// Before the first request headers: the handshake timeout applies.
        case awaitingFirstRequest
        /// Serving requests.
        case serving
        /// Graceful shutdown began: no new streams, open ones finish.
        case shuttingDown
        /// Closing or closed: nothing more is done.
        case closed
    }

    /// The limits applied to every request.
    let limits: Limits
    /// Where the connection stands.
    private(set) var phase = Phase.awaitingFirstRequest
    /// Requests by stream id, from HEADERS until the stream closes.
    private var requests: [Int32: HTTP2StreamRequest] = [:]

    /// A connection with nothing received.
    init(limits: Limits) { self.limits = limits }

    /// Streams with a request being received or answered.
    var openStreamCount: Int { requests.count }

    /// True once the connection is closing.
    var isClosed: Bool { phase == .closed }

    /// A request's header block arrived (`endStream`: no body follows). When a body follows, `bodyStream` is
    /// asked whether the handler takes it as a stream (``HTTPBodyStream``) rather than buffered.
    mutating func receivedHead(
        _ head: RequestHead, streamID: Int32, endStream: Bool,
        bodyStream: (HTTPRequest) -> (any HTTPBodyStream)? = { _ in nil }
    ) -> StreamAction {
        guard phase != .closed else { return .none }
        if phase == .awaitingFirstRequest { phase = .serving }
        var request = HTTP2StreamRequest(head: head)
        let action: StreamAction
        if head.exceedsHeaderListSize {
            request.isRejected = true
            action = .reject(status: 431, reason: "request header fields too large")
        } else if endStream {
            request.isDispatched = true
            action = .dispatch(request.makeRequest())
        } else {
            let stream = bodyStream(request.makeRequest())
            if let length = request.declaredContentLength, length > stream?.maxBodySize ?? limits.maxBodySize {
                stream?.cancel()
                request.isRejected = true
                action = .reject(status: 413, reason: "request body too large")
            } else {
                // No buffer is reserved from content-length: memory follows the bytes that arrive.
                request.stream = stream
                action = .none
            }
        }
        requests[streamID] = request
        return action
    }

    /// A chunk of request body arrived on `streamID`.
    mutating func receivedData(_ data: UnsafeRawBufferPointer, streamID: Int32) -> StreamAction {
        // Taken out so `request.body` is uniquely referenced while appending.
        guard var request = requests.removeValue(forKey: streamID) else { return .none }
        defer { requests[streamID] = request }
        guard !request.isRejected, !request.isDispatched else { return .none }
        if let stream = request.stream {
            if data.count > stream.maxBodySize - request.streamedBytes {
                request.isRejected = true
                request.stream = nil
                stream.cancel()
                return .reject(status: 413, reason: "request body too large")
            }
            request.streamedBytes += data.count
            if let response = stream.receive(data) {
                request.isRejected = true
                request.stream = nil
                return .respond(response)
            }
            return .none
        }
        if data.count > limits.maxBodySize - request.body.readableBytes {
            request.isRejected = true
            request.body = ByteBuffer()
            return .reject(status: 413, reason: "request body too large")
        }
        request.body.writeBytes(data)
        return .none
    }

    /// The client finished sending on `streamID`.
    mutating func receivedEnd(streamID: Int32) -> StreamAction {
        guard var request = requests.removeValue(forKey: streamID) else { return .none }
        defer { requests[streamID] = request }
        guard !request.isRejected, !request.isDispatched else { return .none }
        request.isDispatched = true
        if let stream = request.stream {
            request.stream = nil
            return .finish(stream)
        }
        let complete = request.makeRequest()
        request.body = ByteBuffer()  // the handler holds the body now
        return .dispatch(complete)
    }

    /// The stream is gone (answered, reset, or the connection ended).
    mutating func streamClosed(_ streamID: Int32) {
        requests.removeValue(forKey: streamID)?.stream?.cancel()
    }

    /// The idle timer fired: a connection with no request in flight ends with GOAWAY(NO_ERROR).
    mutating func idleTimeoutFired() -> ConnectionAction {
        guard phase != .closed, requests.isEmpty else { return .none }
        return close(with: .terminate(errorCode: HTTP2ErrorCode.noError))
    }

    /// The handshake timer fired: a connection still without a first request is ended.
    mutating func handshakeTimeoutFired() -> ConnectionAction {
        guard phase == .awaitingFirstRequest else { return .none }
        return close(with: .terminate(errorCode: HTTP2ErrorCode.noError))
    }

    /// nghttp2 rejected the input (it queued a GOAWAY).
    mutating func receiveFailed() -> ConnectionAction {
        guard phase != .closed else { return .none }
        return close(with: .flushAndClose)
    }

    /// The server is shutting down.
    mutating func shutdownRequested() -> ConnectionAction {
        switch phase {
        case .closed, .shuttingDown: return .none
        case .awaitingFirstRequest, .serving:
            phase = .shuttingDown
            return .beginGracefulShutdown
        }
    }

    /// The connection is closing for any other reason (session finished, channel error, forced).
    mutating func closed() {
        phase = .closed
        for request in requests.values { request.stream?.cancel() }
        requests.removeAll()
    }

    /// Moves to `.closed` and returns `action`.
    private mutating func close(with action: ConnectionAction) -> ConnectionAction {
        closed()
        return action
    }
}
