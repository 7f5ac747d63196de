public import Logging
public import NIOCore
import NIOPosix
public import Prometheus

/// The HTTP server: one port for HTTP/1.1 and cleartext HTTP/2 (prior knowledge), a
/// `HTTPRequestHandler` per event loop, graceful shutdown.
public actor HTTPServer {
    /// The settings it was created with.
    public let configuration: HTTPServerConfiguration
    /// Makes the request handler for one event loop; called once per loop by `start()`.
    private let handlerFactory: @Sendable (any EventLoop) -> any HTTPRequestHandler
    private let logger: Logger
    /// Connection counters (accepted, refused, open, handshake timeouts).
    private let metrics: ConnectionMetrics
    private var group: MultiThreadedEventLoopGroup?
    private var serverChannel: (any Channel)?
    /// Per-loop contexts keyed by loop identity; immutable once `start()` built it.
    private var loops: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
    /// The port actually bound (the ephemeral one when `configuration.port` is 0); nil before `start()`.
    public private(set) var localPort: Int?

    /// A server that is not started yet. `logger` receives debug-level transport errors; `metrics`
    /// counts connections (pass one made from the registry `/metrics` exposes).
    public init(
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(), logger: Logger,
        metrics: ConnectionMetrics = ConnectionMetrics(registry: PrometheusCollectorRegistry()),
        handlerFactory: @escaping @Sendable (any EventLoop) -> any HTTPRequestHandler
    ) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.handlerFactory = handlerFactory
    }

    /// Creates the event loops and their handlers, binds, and returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        precondition(group == nil, "HTTPServer.start() called twice")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        self.group = group
        var loops: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
        for eventLoop in group.makeIterator() {
            let configuration = self.configuration
            let logger = self.logger
            let factory = self.handlerFactory
            let metrics = self.metrics
            loops[ObjectIdentifier(eventLoop)] = try await eventLoop.submit {
                let context = LoopContext(
                    handler: factory(eventLoop), configuration: configuration, logger: logger, eventLoop: eventLoop,
                    metrics: metrics)
                return NIOLoopBound(context, eventLoop: eventLoop)
            }.get()
        }
        self.loops = loops
        let table = loops
        let configuration = self.configuration
        let metrics = self.metrics
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionLimiter(limit: max(1, configuration.maxConnections), metrics: metrics))
                }
            }
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(
                    low: configuration.writeBufferHighWatermark / 2, high: configuration.writeBufferHighWatermark)
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let loop = table[ObjectIdentifier(channel.eventLoop)]?.value else {
                        throw ChannelError.ioOnClosedChannel  // not one of our loops: cannot happen
                    }
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: configuration.idleTimeout))
                    try sync.addHandler(ProtocolDetector(loop: loop))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            serverChannel = channel
            localPort = channel.localAddress?.port
            logger.debug("http.listening", metadata: ["http.address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            return localPort ?? configuration.port
        } catch {
            self.group = nil
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Stops accepting, winds every connection down (GOAWAY on HTTP/2, close on idle HTTP/1.1,
    /// `connection: close` on in-flight ones), waits for in-flight requests up to
    /// `configuration.shutdownTimeout`, then closes what is left and stops the event loops.
    public func shutdownGracefully() async throws {
        guard let group else { return }
        self.group = nil
        if let serverChannel { try? await serverChannel.close() }
        serverChannel = nil
        let timeout = configuration.shutdownTimeout
        var drained: [EventLoopFuture<Void>] = []
        for bound in loops.values {
            let eventLoop = bound.eventLoop
            let future = eventLoop.flatSubmit {
                let loop = bound.value
                let promise = eventLoop.makePromise(of: Void.self)
                loop.beginShutdown().cascade(to: promise)
                let deadline = eventLoop.scheduleTask(in: timeout) { bound.value.forceCloseAll() }
                return promise.futureResult.always { _ in deadline.cancel() }
            }
            drained.append(future)
        }
        for future in drained { try? await future.get() }
        loops = [:]
        try await group.shutdownGracefully()
    }
}
