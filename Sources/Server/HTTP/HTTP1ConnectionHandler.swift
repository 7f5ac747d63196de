import Logging
import NIOCore
import NIOHTTP1

/// Serves one HTTP/1.1 connection behind NIOHTTP1's decoder and encoder: keep-alive, pipelining
/// (responses leave in request order even when deferred ones complete out of order), limits.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, ManagedConnection {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The connection's loop context.
    private let loop: LoopContext
    /// The handler's context while it is in the pipeline.
    private var context: ChannelHandlerContext?
    /// Request parsing and response ordering.
    private var state = HTTP1ConnectionState()
    /// Back-pressure state.
    private var flow = ConnectionFlowState()
    /// True between `channelRead` and `channelReadComplete`: writes wait for the cycle's flush.
    private var inReadCycle = false
    /// True when writes are waiting for a flush.
    private var needsFlush = false

    /// When the first request's headers must have arrived.
    private let handshakeDeadline: NIODeadline
    /// Closes the connection if no request head arrives by `handshakeDeadline`.
    private var handshakeTimer: Scheduled<Void>?

    /// Adds the decoder, encoder and a connection handler after `handler`; the connection is closed
    /// unless a first request head arrives by `handshakeDeadline`.
    static func install(
        on pipeline: ChannelPipeline, after handler: some ChannelHandler, loop: LoopContext,
        handshakeDeadline: NIODeadline = .distantFuture
    ) throws {
        let handlers: [any ChannelHandler] = [
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)),
            HTTPResponseEncoder(),
            HTTP1ConnectionHandler(loop: loop, handshakeDeadline: handshakeDeadline),
        ]
        try pipeline.syncOperations.addHandlers(handlers, position: .after(handler))
    }

    /// A handler for a connection on `loop`.
    init(loop: LoopContext, handshakeDeadline: NIODeadline = .distantFuture) {
        self.loop = loop
        self.handshakeDeadline = handshakeDeadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if handshakeDeadline != .distantFuture {
            handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: handshakeDeadline) {
                [self] in
                self.handshakeTimer = nil
                self.loop.metrics.handshakeTimedOut()
                self.loop.logger.debug("http1.handshake_timeout")
                self.close()
            }
        }
        loop.register(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.unregister(self)
        state.closed()
        handshakeTimer?.cancel()
        handshakeTimer = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadCycle = true
        if let timer = handshakeTimer {
            timer.cancel()
            handshakeTimer = nil
        }
        let limits = HTTP1ConnectionState.Limits(
            maxHeaderListSize: loop.configuration.maxHeaderListSize, maxBodySize: loop.configuration.maxRequestBodySize)
        let handler = loop.handler
        switch state.receive(Self.unwrapInboundIn(data), limits: limits, bodyStream: { handler.bodyStream(for: $0) }) {
        case .none:
            break
        case .sendContinue:
            context.write(
                Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            needsFlush = true
        case .dispatch(let index, let request):
            answer(loop.handler.handle(request), index: index)
        case .finish(let index, let stream):
            answer(stream.finish(), index: index)
        case .respond(let index, let response):
            loop.logger.debug("http1.request_answered_early", metadata: ["http.status": "\(response.status)"])
            complete(index: index, response: response)
        case .reject(let index, let status, let reason):
            loop.logger.debug("http1.request_rejected", metadata: ["http.status": "\(status)"])
            complete(index: index, response: .plain(status, reason))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadCycle = false
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, flow.writableAgain() { context.read() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if flow.shouldRead(writable: context.channel.isWritable) { context.read() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent, state.isIdle {
            loop.logger.debug("http1.idle_timeout")
            close()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        loop.logger.debug("http1.channel_error", metadata: ["error": "\(error)"])
        // A parse error: answer it (in order) and close; anything else: just close.
        if let parseError = error as? HTTPParserError, let index = state.failParsing() {
            let status = parseError == .headerOverflow ? 431 : 400
            complete(
                index: index,
                response: .plain(status, status == 431 ? "request header fields too large" : "bad request"))
            flushIfNeeded()
        } else {
            close()
        }
    }

    func initiateGracefulShutdown() {
        state.beginClosing()
        if state.isIdle { close() }
    }

    func forceClose() { close() }

    /// Completes request `index` with a handler's answer now, or when its future completes.
    private func answer(_ result: HTTPHandlerResult, index: Int) {
        switch result {
        case .immediate(let response):
            complete(index: index, response: response)
        case .deferred(let future):
            future.hop(to: loop.eventLoop).assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let response): self.complete(index: index, response: response)
                case .failure(let error):
                    self.loop.logger.debug("http1.handler_failed", metadata: ["error": "\(error)"])
                    self.complete(index: index, response: .plain(500, "internal error"))
                }
                self.flushIfNeeded()
            }
        }
    }

    /// Records a response and writes every response that is now next in order.
    private func complete(index: Int, response: HTTPResponse) {
        guard let context, !flow.isClosed else { return }
        for ready in state.complete(index: index, response: response) {
            write(ready, context: context)
            if ready.closeAfter {
                flow.isClosed = true
                needsFlush = false
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
                return
            }
            context.write(Self.wrapOutboundOut(.end(nil)), promise: nil)
            needsFlush = true
        }
        if !inReadCycle { flushIfNeeded() }
        if state.isIdle && state.isClosing { close() }
    }

    /// Writes a response's head and body (the end part is written by the caller).
    private func write(_ ready: HTTP1ConnectionState.ReadyResponse, context: ChannelHandlerContext) {
        let response = ready.response
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 2)
        var hasLength = false
        for (name, value) in response.headers {
            if !hasLength, name.utf8.count == 14, name.lowercased() == "content-length" { hasLength = true }
            headers.add(name: name, value: value)
        }
        if !hasLength { headers.add(name: "content-length", value: String(response.body.readableBytes)) }
        if ready.closeAfter {
            headers.replaceOrAdd(name: "connection", value: "close")
        } else if ready.version == .http1_0 {
            headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        let status = (100...999).contains(response.status) ? response.status : 500
        let head = HTTPResponseHead(
            version: ready.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if response.body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
    }

    /// Flushes pending writes.
    private func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        context.flush()
    }

    /// Closes the channel once.
    private func close() {
        guard let context, !flow.isClosed else { return }
        flow.isClosed = true
        context.close(promise: nil)
    }
}
