import Logging
import NGHTTP2
import NIOCore

/// Drives one HTTP/2 connection's `ServerSession`: inbound bytes go straight from the read buffer
/// into nghttp2; outbound frames are drained once per read cycle into one buffer and flushed once.
final class HTTP2ConnectionHandler: ChannelDuplexHandler, ServerSessionDelegate, ManagedConnection {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes drained from the session per write before writability is checked again.
    static let writeChunk = 64 * 1024

    /// The connection's loop context.
    private let loop: LoopContext
    /// The nghttp2 session; nil once the handler is removed.
    private var session: ServerSession?
    /// The handler's context while it is in the pipeline.
    private var context: ChannelHandlerContext?
    /// Frames waiting to be written.
    private var outbound = ByteBuffer()
    /// Requests by stream id, from HEADERS until the stream closes.
    private var requests: [Int32: HTTP2StreamRequest] = [:]
    /// Back-pressure and shutdown state.
    private var flow = ConnectionFlowState()
    /// True inside `ServerSession.receive`: nghttp2 forbids sending from its callbacks, and the
    /// read cycle's `channelReadComplete` flushes anyway.
    private var isReceiving = false

    /// A handler for a connection on `loop`.
    init(loop: LoopContext) { self.loop = loop }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        var settings = ServerSessionSettings()
        settings.maxConcurrentStreams = UInt32(clamping: loop.configuration.maxConcurrentStreams)
        settings.maxHeaderListSize = UInt32(clamping: loop.configuration.maxHeaderListSize)
        settings.initialWindowSize = UInt32(clamping: min(loop.configuration.initialWindowSize, Int(Int32.max)))
        do {
            session = try ServerSession(settings: settings, delegate: self)
        } catch {
            loop.logger.debug("http2.session_create_failed", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        outbound = context.channel.allocator.buffer(capacity: 16 * 1024)
        loop.register(self)
        if context.channel.isActive { flushSession() }  // server SETTINGS
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.unregister(self)
        session = nil  // deletes the nghttp2 session
        requests.removeAll()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        flushSession()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !flow.isClosed else { return }
        let bytes = Self.unwrapInboundIn(data)
        isReceiving = true
        defer { isReceiving = false }
        do {
            try bytes.withUnsafeReadableBytes { raw throws(NGHTTP2Error) in try session.receive(raw) }
        } catch {
            isReceiving = false
            loop.logger.debug(
                "http2.receive_failed",
                metadata: ["error": "\(error)", "http2.remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
            flushSession()
            close()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushSession()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            session?.resumeData()
            flushSession()
            if flow.writableAgain() { context.read() }
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if flow.shouldRead(writable: context.channel.isWritable) { context.read() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent, requests.isEmpty, let session {
            loop.logger.debug("http2.idle_timeout")
            session.terminate(errorCode: HTTP2ErrorCode.noError)
            flushSession()
            close()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        loop.logger.debug("http2.channel_error", metadata: ["error": "\(error)"])
        close()
    }

    func initiateGracefulShutdown() {
        guard let session, let context, !flow.isClosed else { return }
        session.beginGracefulShutdown()
        flushSession()
        // The final GOAWAY follows the PING ack; this covers a client that never answers.
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
            self.session?.finishGracefulShutdown()
            self.flushSession()
        }
    }

    func forceClose() { close() }

    /// Drains the session into the channel: chunked writes, one flush; pauses DATA when the channel
    /// stops being writable; closes when the session is done.
    private func flushSession() {
        guard let session, let context, !flow.isClosed, !isReceiving else { return }
        do {
            while true {
                let produced = try session.send(limit: Self.writeChunk)
                if outbound.readableBytes > 0 {
                    context.write(Self.wrapOutboundOut(outbound), promise: nil)
                    outbound = context.channel.allocator.buffer(capacity: 16 * 1024)
                }
                if produced < Self.writeChunk { break }
                if !context.channel.isWritable {
                    session.pauseData()
                    break
                }
            }
        } catch {
            loop.logger.debug("http2.send_failed", metadata: ["error": "\(error)"])
            close()
            return
        }
        context.flush()
        if session.isFinished { close() }
    }

    /// Closes the channel once.
    private func close() {
        guard let context, !flow.isClosed else { return }
        flow.isClosed = true
        context.close(promise: nil)
    }

    // MARK: ServerSessionDelegate

    func serverSession(_ session: ServerSession, didReceiveHead head: RequestHead, streamID: Int32, endStream: Bool) {
        var request = HTTP2StreamRequest(head: head)
        if head.exceedsHeaderListSize {
            reject(&request, streamID: streamID, status: 431, "request header fields too large")
        } else if let length = request.declaredContentLength, length > loop.configuration.maxRequestBodySize {
            reject(&request, streamID: streamID, status: 413, "request body too large")
        } else if let length = request.declaredContentLength, length > 0, let context {
            request.body = context.channel.allocator.buffer(capacity: length)
        }
        requests[streamID] = request
        if endStream { dispatch(streamID: streamID) }
    }

    func serverSession(_ session: ServerSession, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32) {
        guard var request = requests[streamID], !request.isRejected else { return }
        requests[streamID] = nil  // keeps `request.body` uniquely referenced while appending
        if request.body.readableBytes + data.count > loop.configuration.maxRequestBodySize {
            reject(&request, streamID: streamID, status: 413, "request body too large")
        } else {
            request.body.writeBytes(data)
        }
        requests[streamID] = request
    }

    func serverSession(_ session: ServerSession, didEndStream streamID: Int32) {
        dispatch(streamID: streamID)
    }

    func serverSession(_ session: ServerSession, didCloseStream streamID: Int32, errorCode: UInt32) {
        requests.removeValue(forKey: streamID)
        if errorCode != HTTP2ErrorCode.noError {
            loop.logger.debug(
                "http2.stream_reset", metadata: ["http2.stream_id": "\(streamID)", "http2.error_code": "\(errorCode)"])
        }
    }

    func serverSession(_ session: ServerSession, write bytes: UnsafeRawBufferPointer) {
        outbound.writeBytes(bytes)
    }

    // MARK: Requests

    /// Answers a request from the transport itself and ignores the rest of its stream.
    private func reject(_ request: inout HTTP2StreamRequest, streamID: Int32, status: Int, _ reason: String) {
        loop.logger.debug(
            "http2.request_rejected", metadata: ["http2.stream_id": "\(streamID)", "http.status": "\(status)"])
        request.isRejected = true
        request.body = ByteBuffer()
        submit(.plain(status, reason), streamID: streamID, resetAfterSending: true)
    }

    /// Hands a complete request to the loop's handler and submits (or schedules) the answer.
    private func dispatch(streamID: Int32) {
        guard var request = requests[streamID], !request.isRejected, !request.isDispatched else { return }
        request.isDispatched = true
        requests[streamID] = request
        switch loop.handler.handle(request.makeRequest()) {
        case .immediate(let response):
            submit(response, streamID: streamID)
        case .deferred(let future):
            future.hop(to: loop.eventLoop).assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let response): self.submit(response, streamID: streamID)
                case .failure(let error):
                    self.loop.logger.debug(
                        "http2.handler_failed", metadata: ["http2.stream_id": "\(streamID)", "error": "\(error)"])
                    self.submit(.plain(500, "internal error"), streamID: streamID)
                }
                self.flushSession()
            }
        }
    }

    /// Queues `response` on `streamID` (a stream that closed meanwhile is skipped).
    private func submit(_ response: HTTPResponse, streamID: Int32, resetAfterSending: Bool = false) {
        guard let session else { return }
        do {
            try session.submitResponse(
                streamID: streamID, status: response.status, headers: response.headers,
                body: ByteBufferBody(buffer: response.body),
                resetAfterSending: resetAfterSending)
        } catch {
            loop.logger.debug("http2.submit_failed", metadata: ["http2.stream_id": "\(streamID)", "error": "\(error)"])
        }
    }
}
