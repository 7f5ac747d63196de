import Logging
import NIOCore

/// First handler on a new connection: looks at the first bytes and installs HTTP/2 (when they
/// start like the prior-knowledge preface) or HTTP/1.1 handlers, then removes itself. Closes a
/// connection that sends nothing recognizable before the handshake timeout.
final class ProtocolDetector: ChannelInboundHandler, RemovableChannelHandler, ManagedConnection {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The HTTP/2 client connection preface (RFC 9113 §3.4).
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// The part of the preface after which the client has said it speaks HTTP/2: from there on a
    /// mismatch is an invalid preface (answered GOAWAY(PROTOCOL_ERROR) by nghttp2), not HTTP/1.1.
    static let http2Commitment = "PRI * HTTP/2.0".utf8.count

    /// The connection's loop context.
    private let loop: LoopContext
    /// Bytes seen so far, while they could still be a preface.
    private var buffered: ByteBuffer?
    /// The context, for `ManagedConnection` calls.
    private var context: ChannelHandlerContext?
    /// When the preface or the first request headers must have arrived.
    private var handshakeDeadline = NIODeadline.distantFuture
    /// Closes the connection if nothing was recognized by `handshakeDeadline`.
    private var handshakeTimer: Scheduled<Void>?

    /// A detector for a connection on `loop`.
    init(loop: LoopContext) { self.loop = loop }

    /// Where bytes that begin as `seen` go.
    enum Verdict: Equatable {
        /// Too few bytes to tell.
        case undecided
        /// HTTP/2: the preface, or bytes that committed to it (then nghttp2 judges the rest).
        case http2
        /// Anything else.
        case http1
    }

    /// Classifies the first bytes of a connection.
    static func classify(_ seen: some Collection<UInt8>) -> Verdict {
        let compared = min(seen.count, preface.count)
        var matched = 0
        for (byte, expected) in zip(seen.prefix(compared), preface.prefix(compared)) {
            guard byte == expected else { break }
            matched += 1
        }
        if matched == compared { return compared < preface.count ? .undecided : .http2 }
        return matched >= http2Commitment ? .http2 : .http1
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        handshakeDeadline = context.eventLoop.now + loop.configuration.handshakeTimeout
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: handshakeDeadline) { [self] in
            self.handshakeTimer = nil
            self.loop.metrics.handshakeTimedOut()
            self.loop.logger.debug("http.handshake_timeout")
            self.context?.close(promise: nil)
        }
        loop.register(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        self.context = nil
        loop.unregister(self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = Self.unwrapInboundIn(data)
        if var buffered = self.buffered {
            buffered.writeBuffer(&incoming)
            incoming = buffered
        }
        let verdict = Self.classify(incoming.readableBytesView)
        if verdict == .undecided {
            buffered = incoming  // could still be the preface: wait for more
            return
        }
        buffered = nil
        handshakeTimer?.cancel()
        handshakeTimer = nil
        do {
            if verdict == .http2 {
                try context.pipeline.syncOperations.addHandler(
                    HTTP2ConnectionHandler(loop: loop, handshakeDeadline: handshakeDeadline), position: .after(self))
            } else {
                try HTTP1ConnectionHandler.install(
                    on: context.pipeline, after: self, loop: loop, handshakeDeadline: handshakeDeadline)
            }
        } catch {
            loop.logger.debug("http.pipeline_setup_failed", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(Self.wrapInboundOut(incoming))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Idle before a full request line or preface arrived.
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func initiateGracefulShutdown() { context?.close(promise: nil) }

    func forceClose() { context?.close(promise: nil) }
}
