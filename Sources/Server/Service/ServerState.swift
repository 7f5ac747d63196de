import Logging
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import Store

/// What every loop's router shares: the store, the process-wide metrics registry, the logger, and (for
/// `/metrics` only) the table of routers. Nothing here is touched per decision except immutable fields.
final class ServerState: Sendable {
    /// The data directory's store.
    let store: DataStore
    /// Process-level gauges (revision, profiles); per-request counters live in each loop's ``LoopMetrics``.
    let registry: PrometheusCollectorRegistry
    /// Logger for server events.
    let logger: Logger
    /// The decisions' clock (epoch seconds): relative-time conditions and membership expiry use it.
    let clock: @Sendable () -> Double
    private let table = NIOLockedValueBox<[(loop: any EventLoop, router: NIOLoopBound<RequestRouter>)]>([])

    init(
        store: DataStore, registry: PrometheusCollectorRegistry, logger: Logger,
        clock: @escaping @Sendable () -> Double
    ) {
        self.clock = clock
        self.store = store
        self.registry = registry
        self.logger = logger
    }

    /// Every loop's router (set once at start; read by `/metrics` and revision installs, never per decision).
    var routers: [(loop: any EventLoop, router: NIOLoopBound<RequestRouter>)] {
        table.withLockedValue { $0 }
    }

    func register(_ router: RequestRouter, on loop: any EventLoop) {
        let bound = NIOLoopBound(router, eventLoop: loop)
        table.withLockedValue { $0.append((loop, bound)) }
    }
}
