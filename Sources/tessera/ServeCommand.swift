import Targeting
import ArgumentParser
import Foundation
import Logging
import NIOCore
import Prometheus
import Server
import ServiceLifecycle
import Outcomes
import Store
import UnixSignals

/// `tessera serve`: run the decision server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve decisions over HTTP/2 (cleartext, prior knowledge) and HTTP/1.1 on one port.",
        discussion: """
            Routes: GET|POST /v1/decide, GET /v1/slots/{slot}, POST /v1/profiles/deltas, GET|DELETE
            /v1/profiles/{id}, POST /v1/ingest/segment, GET /healthz, GET /readyz, GET /metrics,
            POST /v1/webhooks/cms (signed), GET /v1/admin/revisions, POST /v1/admin/rollback, POST /v1/preview.
            The server serves the latest revision in the data directory and picks up a newly compiled one
            within a second. SIGTERM or SIGINT: stop accepting, send GOAWAY, finish in-flight requests, exit 0.
            """
    )

    @OptionGroup var storage: DataOptions

    @Option(help: "Address to listen on.")
    var host = "0.0.0.0"

    @Option(help: "Port to listen on (0 picks a free one and logs it).")
    var port = 8080

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int = System.coreCount

    @Option(help: "Most concurrent HTTP/2 streams per connection.")
    var maxConcurrentStreams = 256

    @Option(help: "Largest request body accepted, in bytes; larger bodies get 413.")
    var maxBodySize = 1 << 20

    @Option(
        help:
            "Largest list segment upload (PUT/PATCH /v1/admin/lists/NAME), in bytes: its body is parsed as it arrives, not buffered."
    )
    var maxListUploadSize = 1 << 30

    @Option(help: "Largest request header list accepted, in bytes.")
    var maxHeaderListSize = 16 * 1024

    @Option(help: "Seconds a connection may sit idle before it is closed.")
    var idleTimeout = 60

    @Option(help: "Seconds a new connection has to send the HTTP/2 preface and its first request headers.")
    var handshakeTimeout = 10

    @Option(help: "Most connections open at once; more are closed on accept (see /metrics). Keep below ulimit -n.")
    var maxConnections = 10_000

    @Option(
        name: .customLong("webhook-secret"),
        help: ArgumentHelp(
            "Shared secret for CMS webhook signatures (repeat to accept two during a rotation). Default: TESSERA_WEBHOOK_SECRET (comma-separated). Without one, webhooks are refused.",
            valueName: "secret"))
    var webhookSecrets: [String] = []

    @Option(
        help: ArgumentHelp(
            "Bearer token for /v1/admin/* and /v1/preview. Default: TESSERA_ADMIN_TOKEN. Without one, those are refused.",
            valueName: "token"))
    var adminToken: String?

    @Option(help: "Memory for cached rendered blocks, in MiB, split over the event loops (0 turns the cache off).")
    var renderCacheMib = 32

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(
        help: ArgumentHelp(
            "Bearer token required by the delta, ingest and profile endpoints (default: $TESSERA_INGEST_TOKEN). Without one those endpoints answer 503.",
            valueName: "secret"))
    var ingestToken: String?

    @Option(
        help: ArgumentHelp(
            "sync: every acknowledged delta is fsynced (survives a machine crash). nosync: commits are not fsynced; a process crash loses nothing, but a machine crash or power loss can lose the last acknowledged commits.",
            valueName: "sync|nosync"))
    var durability: String = "sync"

    @Option(help: "Bound of the raw decision log (exposures) in MiB; oldest records go first. Aggregates are kept regardless.")
    var decisionLogMib = 256

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Ask the kernel at start to read the data file into the page cache (MADV_WILLNEED, from a background thread), so a restarted node does not wait on the disk for each page fault on its event loop."
        ))
    var prefetch = true

    @Flag(help: "Record no exposures and take no clicks or conversions (/v1/feedback answers 503).")
    var noTracking = false

    @Option(
        help: ArgumentHelp(
            "Secret for exposure tokens, at least 16 bytes (default: $TESSERA_EXPOSURE_SECRET, else a random one kept in the data directory). Give every node of a fleet the same.",
            valueName: "secret"))
    var exposureSecret: String?

    @Option(help: ArgumentHelp("How long a click token is accepted after its exposure (e.g. 24h, 3600).", valueName: "duration"))
    var tokenWindow = "24h"

    @Option(help: ArgumentHelp("How far back a conversion by user id looks for the exposure it is attributed to.", valueName: "duration"))
    var attributionWindow = "7d"

    @Option(help: ArgumentHelp("How often bandit experiments' weights are re-computed from outcomes.", valueName: "duration"))
    var banditInterval = "60s"

    @Option(help: ArgumentHelp("Pin the outcome collector thread (its LMDB writes) to this CPU, away from the serving cores.", valueName: "cpu"))
    var collectorCpu: Int?

    func validate() throws {
        guard decisionLogMib >= 0, decisionLogMib <= 1 << 20 else {
            throw ValidationError("--decision-log-mib must be from 0 to 1048576")
        }
        guard Self.seconds(tokenWindow) != nil else {
            throw ValidationError("--token-window must be a duration such as 24h, 30m or 3600 (at most 10 years)")
        }
        if let collectorCpu, collectorCpu < 0 || collectorCpu > 1023 {
            throw ValidationError("--collector-cpu must be a CPU number from 0 to 1023")
        }
        guard Self.seconds(banditInterval) != nil else {
            throw ValidationError("--bandit-interval must be a duration such as 60s, 5m or 1 (at most 10 years)")
        }
        guard Self.seconds(attributionWindow) != nil else {
            throw ValidationError("--attribution-window must be a duration such as 7d, 12h or 3600 (at most 10 years)")
        }
        let secret = exposureSecret ?? ProcessInfo.processInfo.environment["TESSERA_EXPOSURE_SECRET"]
        if let secret, secret.utf8.count < 16 {
            throw ValidationError("--exposure-secret must be at least 16 bytes")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard handshakeTimeout >= 1 else { throw ValidationError("--handshake-timeout must be at least 1") }
        guard maxBodySize >= 0 else { throw ValidationError("--max-body-size must be at least 0") }
        guard maxListUploadSize >= 0 else { throw ValidationError("--max-list-upload-size must be at least 0") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxConcurrentStreams >= 1 else { throw ValidationError("--max-concurrent-streams must be at least 1") }
        guard durability == "sync" || durability == "nosync" else {
            throw ValidationError("--durability must be sync or nosync")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tessera")
        var options = DataStore.Options()
        options.mapSize = storage.mapSize << 20
        options.durableCommits = durability == "sync"
        let store = try DataStore(path: storage.data, options: options)
        if prefetch {
            // Off the event loops: queueing the reads of a large file can block for a while.
            Thread.detachNewThread {
                let started = Date()
                let bytes = store.prefetch()
                logger.info(
                    "asked the kernel to read the data file into the page cache",
                    metadata: [
                        "mib": "\(bytes >> 20)", "seconds": "\(String(format: "%.1f", Date().timeIntervalSince(started)))",
                    ])
            }
        }

        var configuration = DecisionServerConfiguration()
        configuration.http.host = host
        configuration.http.port = port
        configuration.http.eventLoopThreads = threads
        configuration.http.maxConcurrentStreams = maxConcurrentStreams
        configuration.http.maxRequestBodySize = maxBodySize
        configuration.http.maxHeaderListSize = maxHeaderListSize
        configuration.http.idleTimeout = .seconds(Int64(idleTimeout))
        configuration.http.handshakeTimeout = .seconds(Int64(handshakeTimeout))
        configuration.http.maxConnections = maxConnections
        configuration.maxListUploadSize = maxListUploadSize
        configuration.renderCacheBytes = max(0, renderCacheMib) << 20
        configuration.tracksOutcomes = !noTracking
        configuration.outcomes.decisionLogBytes = decisionLogMib << 20
        configuration.outcomes.tokenWindow = Self.seconds(tokenWindow) ?? 86_400
        configuration.outcomes.attributionWindow = Self.seconds(attributionWindow) ?? 7 * 86_400
        configuration.collector.banditInterval = Self.seconds(banditInterval) ?? 60
        configuration.collector.cpu = collectorCpu
        if let secret = exposureSecret ?? ProcessInfo.processInfo.environment["TESSERA_EXPOSURE_SECRET"] {
            configuration.exposureSecret = Array(secret.utf8)
        }
        let environment = ProcessInfo.processInfo.environment
        configuration.webhookSecrets =
            webhookSecrets.isEmpty
            ? (environment["TESSERA_WEBHOOK_SECRET"] ?? "").split(separator: ",").map(String.init) : webhookSecrets
        configuration.adminToken = adminToken ?? environment["TESSERA_ADMIN_TOKEN"]
        configuration.ingestToken = ingestToken ?? ProcessInfo.processInfo.environment["TESSERA_INGEST_TOKEN"]

        let server = DecisionServer(
            store: store, configuration: configuration, logger: logger, registry: PrometheusCollectorRegistry())
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Seconds of a duration option: a number of seconds or a `Timestamp.duration` text (`24h`, `7d`), positive and
    /// at most 10 years.
    static func seconds(_ text: String) -> Double? {
        let value = Double(text) ?? Timestamp.duration(text)
        guard let value, value.isFinite, value > 0, value <= 10 * 365.25 * 86_400 else { return nil }
        return value
    }
}
