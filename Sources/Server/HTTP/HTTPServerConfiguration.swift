public import NIOCore

/// Settings for `HTTPServer`; every property has a documented default.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind. Default "0.0.0.0" (all IPv4 interfaces).
    public var host = "0.0.0.0"
    /// TCP port; 0 binds an ephemeral port (see `HTTPServer.localPort`). Default 8080.
    public var port = 8080
    /// Event loop threads, each with its own `HTTPRequestHandler`. Default: one per core.
    public var eventLoopThreads = System.coreCount
    /// HTTP/2 streams a client may have open at once on one connection. Default 256.
    public var maxConcurrentStreams = 256
    /// Largest request header list in bytes (RFC 9113 counting: name + value + 32 per field);
    /// HTTP/1.1 requests over it get 431, HTTP/2 ones 431 too (after SETTINGS advertises it). Default 16 KiB.
    public var maxHeaderListSize = 16 * 1024
    /// Largest request body in bytes; larger ones get 413. Default 1 MiB.
    public var maxRequestBodySize = 1 << 20
    /// HTTP/2 per-stream receive window (SETTINGS_INITIAL_WINDOW_SIZE). Default 1 MiB.
    public var initialWindowSize = 1 << 20
    /// A connection with no traffic and no request in flight for this long is closed. Default 60 s.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// A connection must send the HTTP/2 preface and its first request headers (or, on HTTP/1.1,
    /// its first request head) this soon after it is accepted, or it is closed. Later requests are
    /// governed by `idleTimeout`. Default 10 s.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// Connections open at once; more are closed as soon as they are accepted (counted in
    /// `tessera_http_connections_refused_total`). Keep it below the process's descriptor limit
    /// (`ulimit -n`). Default 10,000.
    public var maxConnections = 10_000
    /// `shutdownGracefully()` force-closes connections still open after this long. Default 30 s.
    public var shutdownTimeout: TimeAmount = .seconds(30)
    /// Pending outbound bytes above which a connection stops reading and holds back response
    /// bodies until the socket drains (the channel's high write watermark). Default 256 KiB.
    public var writeBufferHighWatermark = 256 * 1024

    /// The defaults listed on each property.
    public init() {}
}
