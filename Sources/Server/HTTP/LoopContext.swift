import Logging
import NIOCore

/// Everything one event loop's connections share: the loop's request handler, the settings,
/// and the set of open connections (so shutdown needs no global lock). Used only on its loop.
final class LoopContext {
    /// The loop's request handler.
    let handler: any HTTPRequestHandler
    /// Server settings.
    let configuration: HTTPServerConfiguration
    /// Base logger for this loop's connections.
    let logger: Logger
    /// The loop this context belongs to.
    let eventLoop: any EventLoop
    /// Connection counters shared by every loop.
    let metrics: ConnectionMetrics
    /// Open connections by identity.
    private var connections: [ObjectIdentifier: any ManagedConnection] = [:]
    /// Completed when shutdown started and the last connection is gone.
    private var drained: EventLoopPromise<Void>?

    /// A context for `eventLoop`.
    init(
        handler: any HTTPRequestHandler, configuration: HTTPServerConfiguration, logger: Logger,
        eventLoop: any EventLoop, metrics: ConnectionMetrics
    ) {
        self.metrics = metrics
        self.handler = handler
        self.configuration = configuration
        self.logger = logger
        self.eventLoop = eventLoop
    }

    /// True once `beginShutdown` ran.
    var isShuttingDown: Bool { drained != nil }

    /// Tracks a connection; one that arrives during shutdown is wound down at once.
    func register(_ connection: any ManagedConnection) {
        connections[ObjectIdentifier(connection)] = connection
        if isShuttingDown { connection.initiateGracefulShutdown() }
    }

    /// Forgets a connection (it closed or handed over to another handler).
    func unregister(_ connection: any ManagedConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
        if connections.isEmpty { drained?.succeed() }
    }

    /// Asks every connection to wind down; the future completes when none is left.
    func beginShutdown() -> EventLoopFuture<Void> {
        if let drained { return drained.futureResult }
        let promise = eventLoop.makePromise(of: Void.self)
        drained = promise
        for connection in Array(connections.values) { connection.initiateGracefulShutdown() }
        if connections.isEmpty { promise.succeed() }
        return promise.futureResult
    }

    /// Closes every connection still open.
    func forceCloseAll() {
        for connection in Array(connections.values) { connection.forceClose() }
    }
}
