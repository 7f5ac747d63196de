import NIOCore

/// On the listening channel: closes an accepted connection at once when `limit` connections are
/// open, so a client opening connections without end cannot exhaust descriptors or memory.
/// Counts on the listening channel's loop; a closing connection hops there to be uncounted.
final class ConnectionLimiter: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// Most connections open at once.
    private let limit: Int
    /// Where refusals and the open count are reported.
    private let metrics: ConnectionMetrics
    /// Connections accepted and not closed yet.
    private(set) var openCount = 0

    /// A limiter allowing `limit` open connections.
    init(limit: Int, metrics: ConnectionMetrics) {
        self.limit = limit
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = Self.unwrapInboundIn(data)
        guard openCount < limit else {
            metrics.connectionRefused()
            child.close(promise: nil)
            return
        }
        openCount += 1
        metrics.connectionOpened()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        child.closeFuture.whenComplete { _ in
            loop.execute {
                bound.value.openCount -= 1
                bound.value.metrics.connectionClosed()
            }
        }
        context.fireChannelRead(data)
    }
}
