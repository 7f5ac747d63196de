import Decision
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import Publishing
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
    /// Publishes CMS content (the same path as `tessera compile`).
    let publisher: ContentPublisher
    /// One thread for publishes, rollbacks and previews: they compile and write, so they stay off the event
    /// loops, and one thread serializes publishes.
    let contentThread = ContentWorker()
    /// Verifies webhook signatures; `nil` when no secret is configured (webhooks are then refused).
    let webhookSignature: WebhookSignature?
    /// Token for admin and preview endpoints; `nil` when none is configured (they are then refused).
    let adminToken: String?
    /// The decisions' clock (epoch seconds): relative-time conditions and membership expiry use it.
    let clock: @Sendable () -> Double
    /// Largest list segment upload body in bytes.
    let maxListUploadSize: Int
    private let table = NIOLockedValueBox<[(loop: any EventLoop, router: NIOLoopBound<RequestRouter>)]>([])
    /// The newest revision handed to the loops (by a webhook, a rollback or the revision poller).
    private let installed = NIOLockedValueBox<UInt64>(0)
    /// `tessera_bundle_revision`.
    private let revisionGauge: Gauge
    /// `tessera_lists_missing`: list segments the served bundle tests that do not exist (their tests are false).
    private let missingListsGauge: Gauge
    /// The list segments the newest installed bundle tests.
    private let testedLists = NIOLockedValueBox<[String]>([])

    init(
        store: DataStore, registry: PrometheusCollectorRegistry, logger: Logger,
        clock: @escaping @Sendable () -> Double, webhookSecrets: [String], adminToken: String?,
        maxListUploadSize: Int = 1 << 30
    ) {
        self.clock = clock
        self.maxListUploadSize = maxListUploadSize
        self.store = store
        self.registry = registry
        self.logger = logger
        self.publisher = ContentPublisher(store: store)
        self.webhookSignature = webhookSecrets.isEmpty ? nil : WebhookSignature(secrets: webhookSecrets)
        self.adminToken = adminToken.flatMap { $0.isEmpty ? nil : $0 }
        self.revisionGauge = registry.makeGauge(name: "tessera_bundle_revision", help: "Bundle revision being served.")
        self.missingListsGauge = registry.makeGauge(
            name: "tessera_lists_missing",
            help: "List segments the served bundle tests that do not exist; their tests are false.")
    }

    /// Records which list segments `engine` tests, and checks that they exist.
    func noteLists(of engine: DecisionEngine) {
        testedLists.withLockedValue { $0 = engine.savedGroupNames }
        do {
            // Lists another process created since this one started get their handles before the bundle serves.
            try store.openListTables()
        } catch {
            logger.error("opening list segment tables failed", metadata: ["error": "\(error)"])
        }
        checkLists()
    }

    /// Sets `tessera_lists_missing` and logs a warning for each list the served bundle tests that does not
    /// exist (deleted after the bundle was compiled): its tests are false until it is imported again.
    /// Returns the missing names.
    @discardableResult
    func checkLists() -> [String] {
        let tested = testedLists.withLockedValue { $0 }
        let live: [String: Int]
        do {
            live = try store.liveListNumbers()
        } catch {
            logger.error("reading the list catalog failed", metadata: ["error": "\(error)"])
            return []
        }
        let missing = tested.filter { live[$0] == nil }
        missingListsGauge.set(Double(missing.count))
        for name in missing {
            logger.warning(
                "the served bundle tests a list segment that does not exist: its tests are false",
                metadata: ["list.name": "\(name)", "bundle.revision": "\(installedRevision)"])
        }
        return missing
    }

    /// The newest revision handed to the loops (0 before any).
    var installedRevision: UInt64 { installed.withLockedValue { $0 } }

    /// Records that `revision` is being installed (routers built at start get it directly).
    func noteInstalled(_ revision: UInt64) {
        let newest = installed.withLockedValue { current -> UInt64 in
            current = max(current, revision)
            return current
        }
        revisionGauge.set(Double(newest))
    }

    /// Installs `engine` on every loop; succeeds once each loop has it (so the next request anywhere sees it).
    func installEverywhere(_ engine: DecisionEngine, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        noteInstalled(engine.revision)
        noteLists(of: engine)
        let installs = routers.map { entry in entry.loop.submit { entry.router.value.install(engine) } }
        return EventLoopFuture.andAllSucceed(installs, on: eventLoop)
    }

    /// Hands new bandit weights to every loop (each swaps its reference; no decision waits).
    func installEverywhere(_ weights: BanditWeights) {
        for entry in routers { entry.loop.execute { entry.router.value.bandits = weights } }
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
