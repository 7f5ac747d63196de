import Decision
import Foundation
public import Logging
import NIOConcurrencyHelpers
import NIOCore
public import Prometheus
public import ServiceLifecycle
public import Store
public import Outcomes

/// Settings of the decision server; only the CLI builds one.
public struct DecisionServerConfiguration: Sendable {
    /// Transport settings (host, port, event loops, limits).
    public var http = HTTPServerConfiguration()
    /// How often the store is checked for a revision published by another process (`tessera compile`).
    /// Default 500 ms. Webhook publishes and rollbacks are installed before they are acknowledged.
    public var revisionPollInterval: Duration = .milliseconds(500)
    /// Shared secrets for CMS webhook signatures; two at once allow rotation. Empty: webhooks are refused.
    public var webhookSecrets: [String] = []
    /// Bearer token for `/v1/admin/*` and `/v1/preview`. `nil`: those endpoints are refused.
    public var adminToken: String?
    /// Memory for rendered blocks, in bytes, split evenly over the event loops (0 turns the cache off).
    /// Default 32 MiB.
    public var renderCacheBytes = 32 << 20
    /// Largest list segment upload body in bytes (streamed, so not bounded by `http.maxRequestBodySize`).
    public var maxListUploadSize = 1 << 30
    /// The bearer token the delta, ingest and profile endpoints require. Default `nil`: those endpoints
    /// answer 503 explaining how to configure one (they are never open without a token).
    public var ingestToken: String? = nil
    /// The profile writer's settings (group commit size, message id retention, its clock).
    public var writer = DeltaWriter.Configuration()
    /// The clock decisions are made at (epoch seconds). Default: the wall clock. Tests inject their own.
    public var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
    /// Whether shown slots are recorded as exposures and clicks and conversions are taken (`/v1/feedback`).
    /// Default true.
    public var tracksOutcomes = true
    /// The outcome store's settings (decision log bound, token and attribution windows).
    public var outcomes = OutcomeStore.Options()
    /// The outcome collector's settings (drain interval, ring size).
    public var collector = OutcomeCollector.Configuration()
    /// The secret exposure tokens are signed with; `nil`: a random one kept in the data directory (set the
    /// same secret on every node of a fleet so any node accepts any node's tokens).
    public var exposureSecret: [UInt8]? = nil

    /// Defaults as documented on each property.
    public init() {}
}

/// The decision server as a `Service`: serves HTTP/1.1 and HTTP/2 on one port, installs each newly
/// published bundle revision on every event loop, and on graceful shutdown (SIGTERM/SIGINT through the
/// `ServiceGroup`) sends GOAWAY, lets in-flight requests finish, and returns.
public final class DecisionServer: Service, Sendable {
    let configuration: DecisionServerConfiguration
    let state: ServerState
    private let boundPort = NIOLockedValueBox<Int?>(nil)
    private let started = NIOLockedValueBox<[CheckedContinuation<Int, any Error>]>([])

    /// A server over `store`. `registry` receives process gauges and is exposed on `/metrics`.
    public init(
        store: DataStore, configuration: DecisionServerConfiguration, logger: Logger,
        registry: PrometheusCollectorRegistry
    ) {
        self.configuration = configuration
        self.state = ServerState(
            store: store, registry: registry, logger: logger, clock: configuration.clock,
            webhookSecrets: configuration.webhookSecrets, adminToken: configuration.adminToken,
            maxListUploadSize: configuration.maxListUploadSize)
    }

    /// The bound port once listening (waits until then); useful with port 0.
    public func port() async throws -> Int {
        if let p = boundPort.withLockedValue({ $0 }) { return p }
        return try await withCheckedThrowingContinuation { c in
            let ready: Int? = boundPort.withLockedValue { p in
                if let p { return p }
                started.withLockedValue { $0.append(c) }
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    public func run() async throws {
        let logger = state.logger
        var engine: DecisionEngine? = nil
        if let (revision, bundle) = try state.store.currentBundle() {
            engine = try DecisionEngine(bundle: bundle, revision: revision)
            state.noteInstalled(revision)
            if let engine { state.noteLists(of: engine) }
        } else {
            logger.warning("no compiled bundle yet; /readyz answers 503 until `tessera compile` publishes one")
        }
        // Readers are made here, where a failure can be reported, and handed one to each loop.
        let threads = max(1, configuration.http.eventLoopThreads)
        let cachePerLoop = max(0, configuration.renderCacheBytes) / threads
        var pool: [ProfileReader] = []
        for _ in 0..<threads { pool.append(try ProfileReader(store: state.store)) }
        let readers = NIOLockedValueBox(UncheckedBox(pool))
        let state = self.state
        let initial = engine
        let writer = try DeltaWriter(store: state.store, configuration: configuration.writer)
        writer.start()
        let ingest = IngestContext(writer: writer, access: IngestAccess(token: configuration.ingestToken))
        if configuration.ingestToken?.isEmpty ?? true {
            logger.warning(
                "no ingest token: /v1/profiles and /v1/ingest answer 503 until --ingest-token or TESSERA_INGEST_TOKEN is set"
            )
        }
        var outcomeContext: OutcomeContext? = nil
        if configuration.tracksOutcomes {
            let outcomeStore = try OutcomeStore(store: state.store, options: configuration.outcomes)
            let secret = try configuration.exposureSecret ?? outcomeStore.tokenSecret()
            let collector = OutcomeCollector(store: outcomeStore, configuration: configuration.collector)
            collector.onBanditWeights = { [state] weights in state.installEverywhere(weights) }
            collector.start()
            outcomeContext = OutcomeContext(collector: collector, signer: ExposureTokenSigner(secret: secret))
        }
        let outcomes = outcomeContext
        let server = HTTPServer(
            configuration: configuration.http, logger: logger, metrics: ConnectionMetrics(registry: state.registry)
        ) { loop in
            let reader = readers.withLockedValue { $0.value.removeLast() }
            let router = RequestRouter(
                eventLoop: loop, state: state, reader: reader, ingest: ingest, renderCacheBytes: cachePerLoop,
                outcomes: outcomes)
            if let initial { router.install(initial) }
            state.register(router, on: loop)
            return router
        }
        let port = try await server.start()
        boundPort.withLockedValue { $0 = port }
        for c in started.withLockedValue({ s in
            defer { s = [] }
            return s
        }) { c.resume(returning: port) }
        logger.info(
            "tessera listening",
            metadata: [
                "http.host": "\(configuration.http.host)", "http.port": "\(port)",
                "bundle.revision": "\(initial?.revision ?? 0)", "server.event_loops": "\(threads)",
            ])

        let interval = configuration.revisionPollInterval
        let watcher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                do {
                    // Only revisions published by another process (`tessera compile`) are left to find here:
                    // webhooks and rollbacks install theirs before answering. Reading the number is 8 bytes;
                    // the bundle is decoded only when it is new.
                    guard let newest = try state.store.currentRevision(), newest > state.installedRevision,
                        let (revision, bundle) = try state.store.currentBundle(), let loop = state.routers.first?.loop
                    else { continue }
                    let next = try DecisionEngine(bundle: bundle, revision: revision)
                    _ = state.installEverywhere(next, on: loop)
                    logger.info("serving new bundle revision", metadata: ["bundle.revision": "\(revision)"])
                } catch {
                    logger.error(
                        "could not load the published bundle; still serving the previous one",
                        metadata: ["error": "\(error)"])
                }
            }
        }
        try? await gracefulShutdown()
        logger.info("shutting down: GOAWAY sent, finishing in-flight requests")
        watcher.cancel()
        try await server.shutdownGracefully()
        // Every queued write is committed and answered before the process may exit.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                writer.stop()
                outcomes?.collector.stop()
                done.resume()
            }
        }
        await state.contentThread.drain()
        logger.info("stopped")
    }
}

/// Moves non-Sendable values into the locked box that hands them out one per loop.
struct UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
