import Logging
import NIOCore

/// First handler on a new connection: looks at the first bytes and installs HTTP/2 (when they are
/// the prior-knowledge preface) or HTTP/1.1 handlers, then removes itself.
final class ProtocolDetector: ChannelInboundHandler, RemovableChannelHandler, ManagedConnection {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The HTTP/2 client connection preface (RFC 9113 §3.4).
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// The connection's loop context.
    private let loop: LoopContext
    /// Bytes seen so far, while they could still be a preface.
    private var buffered: ByteBuffer?
    /// The context, for `ManagedConnection` calls.
    private var context: ChannelHandlerContext?

    /// A detector for a connection on `loop`.
    init(loop: LoopContext) { self.loop = loop }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop.register(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        loop.unregister(self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = Self.unwrapInboundIn(data)
        if var buffered = self.buffered {
            buffered.writeBuffer(&incoming)
            incoming = buffered
        }
        let seen = incoming.readableBytesView
        let compared = min(seen.count, Self.preface.count)
        let matches = seen.prefix(compared).elementsEqual(Self.preface.prefix(compared))
        if matches && compared < Self.preface.count {
            buffered = incoming  // could still be the preface: wait for more
            return
        }
        buffered = nil
        do {
            if matches {
                try context.pipeline.syncOperations.addHandler(
                    HTTP2ConnectionHandler(loop: loop), position: .after(self))
            } else {
                try HTTP1ConnectionHandler.install(on: context.pipeline, after: self, loop: loop)
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
