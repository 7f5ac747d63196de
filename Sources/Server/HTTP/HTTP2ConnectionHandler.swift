import Logging
import NGHTTP2
import NIOCore

/// Drives one HTTP/2 connection: inbound bytes go straight from the read buffer into nghttp2
/// (`ServerSession`), whose events go to `HTTP2ConnectionStateMachine`; this handler performs the
/// actions it returns. Outbound frames are drained once per read cycle into one buffer and flushed once.
final class HTTP2ConnectionHandler: ChannelDuplexHandler, ServerSessionDelegate, ManagedConnection {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes drained from the session per write before writability is checked again.
    static let writeChunk = 64 * 1024

    /// The connection's loop context.
    private let loop: LoopContext
    /// When the first request's headers must have arrived.
    private let handshakeDeadline: NIODeadline
    /// The nghttp2 session; nil once the handler is removed.
    private var session: ServerSession?
    /// The handler's context while it is in the pipeline.
    private var context: ChannelHandlerContext?
    /// Frames waiting to be written.
    private var outbound = ByteBuffer()
    /// Requests, limits, timeouts and shutdown.
    private var state: HTTP2ConnectionStateMachine
    /// Read back-pressure.
    private var flow = ConnectionFlowState()
    /// True inside `ServerSession.receive`: nghttp2 forbids sending from its callbacks, and the
    /// read cycle's `channelReadComplete` flushes anyway.
    private var isReceiving = false
    /// Closes the connection if no request headers arrive by `handshakeDeadline`.
    private var handshakeTimer: Scheduled<Void>?

    /// A handler for a connection on `loop` whose first request must arrive by `handshakeDeadline`.
    init(loop: LoopContext, handshakeDeadline: NIODeadline) {
        self.loop = loop
        self.handshakeDeadline = handshakeDeadline
        self.state = HTTP2ConnectionStateMachine(limits: .init(maxBodySize: loop.configuration.maxRequestBodySize))
    }

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
            state.closed()
            context.close(promise: nil)
            return
        }
        outbound = context.channel.allocator.buffer(capacity: 16 * 1024)
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: handshakeDeadline) { [self] in
            self.handshakeTimer = nil
            let action = self.state.handshakeTimeoutFired()
            if action != .none {
                self.loop.metrics.handshakeTimedOut()
                self.loop.logger.debug("http2.handshake_timeout")
            }
            self.perform(action)
        }
        loop.register(self)
        if context.channel.isActive { flushSession() }  // server SETTINGS
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.unregister(self)
        handshakeTimer?.cancel()
        handshakeTimer = nil
        state.closed()
        session = nil  // deletes the nghttp2 session
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        flushSession()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !state.isClosed else { return }
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
            perform(state.receiveFailed())
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
        if event is IdleStateHandler.IdleStateEvent {
            let action = state.idleTimeoutFired()
            if action != .none { loop.logger.debug("http2.idle_timeout") }
            perform(action)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        loop.logger.debug("http2.channel_error", metadata: ["error": "\(error)"])
        close()
    }

    func initiateGracefulShutdown() {
        perform(state.shutdownRequested())
    }

    func forceClose() { close() }

    /// Carries out a connection action.
    private func perform(_ action: HTTP2ConnectionStateMachine.ConnectionAction) {
        switch action {
        case .none:
            break
        case .terminate(let errorCode):
            session?.terminate(errorCode: errorCode)
            flushSession(evenIfClosed: true)
            closeChannel()
        case .flushAndClose:
            flushSession(evenIfClosed: true)
            closeChannel()
        case .beginGracefulShutdown:
            guard let session, let context else { return }
            session.beginGracefulShutdown()
            flushSession()
            // The final GOAWAY follows the PING ack; this covers a client that never answers.
            context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
                self.session?.finishGracefulShutdown()
                self.flushSession()
            }
        }
    }

    /// Drains the session into the channel: chunked writes, one flush; pauses DATA when the channel
    /// stops being writable; closes when the session is done. `evenIfClosed` drains a final GOAWAY
    /// after the state machine decided to close.
    private func flushSession(evenIfClosed: Bool = false) {
        guard let session, let context, evenIfClosed || !state.isClosed, !isReceiving else { return }
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

    /// Closes the connection once.
    private func close() {
        state.closed()
        closeChannel()
    }

    /// Closes the channel once.
    private func closeChannel() {
        guard let context, !flow.isClosed else { return }
        flow.isClosed = true
        context.close(promise: nil)
    }

    // MARK: ServerSessionDelegate

    func serverSession(_ session: ServerSession, didReceiveHead head: RequestHead, streamID: Int32, endStream: Bool) {
        if let timer = handshakeTimer {
            timer.cancel()
            handshakeTimer = nil
        }
        let handler = loop.handler
        perform(
            state.receivedHead(head, streamID: streamID, endStream: endStream) { handler.bodyStream(for: $0) },
            streamID: streamID)
    }

    func serverSession(_ session: ServerSession, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32) {
        perform(state.receivedData(data, streamID: streamID), streamID: streamID)
    }

    func serverSession(_ session: ServerSession, didEndStream streamID: Int32) {
        perform(state.receivedEnd(streamID: streamID), streamID: streamID)
    }

    func serverSession(_ session: ServerSession, didCloseStream streamID: Int32, errorCode: UInt32) {
        state.streamClosed(streamID)
        if errorCode != HTTP2ErrorCode.noError {
            loop.logger.debug(
                "http2.stream_reset", metadata: ["http2.stream_id": "\(streamID)", "http2.error_code": "\(errorCode)"])
        }
    }

    func serverSession(_ session: ServerSession, write bytes: UnsafeRawBufferPointer) {
        outbound.writeBytes(bytes)
    }

    // MARK: Requests

    /// Carries out a stream action.
    @inline(__always)
    private func perform(_ action: HTTP2ConnectionStateMachine.StreamAction, streamID: Int32) {
        switch action {
        case .none:
            break
        case .dispatch(let request):
            answer(loop.handler.handle(request), streamID: streamID)
        case .finish(let stream):
            answer(stream.finish(), streamID: streamID)
        case .respond(let response):
            submit(response, streamID: streamID, resetAfterSending: true)
        case .reject(let status, let reason):
            loop.logger.debug(
                "http2.request_rejected", metadata: ["http2.stream_id": "\(streamID)", "http.status": "\(status)"])
            submit(.plain(status, reason), streamID: streamID, resetAfterSending: true)
        }
    }

    /// Submits a handler's answer now, or when its future completes.
    private func answer(_ result: HTTPHandlerResult, streamID: Int32) {
        switch result {
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
