public import Prometheus

/// Connection counters of an `HTTPServer`, in a Prometheus registry (so `/metrics` shows them).
/// They change once per connection, never per request, so sharing them across event loops
/// (atomics) costs the request path nothing.
public final class ConnectionMetrics: Sendable {
    /// Connections accepted and handed to an event loop.
    private let accepted: Counter
    /// Connections closed at once because `maxConnections` were open.
    private let refused: Counter
    /// Connections open now.
    private let open: Gauge
    /// Connections closed because the preface or first request headers did not arrive in time.
    private let handshakeTimeouts: Counter

    /// Registers the connection metrics in `registry`.
    public init(registry: PrometheusCollectorRegistry) {
        accepted = registry.makeCounter(
            name: "tessera_http_connections_accepted_total", help: "TCP connections accepted.")
        refused = registry.makeCounter(
            name: "tessera_http_connections_refused_total",
            help: "TCP connections closed on accept because --max-connections were open.")
        open = registry.makeGauge(name: "tessera_http_connections_open", help: "TCP connections open.")
        handshakeTimeouts = registry.makeCounter(
            name: "tessera_http_handshake_timeouts_total",
            help: "Connections closed because the HTTP/2 preface or the first request headers took too long.")
    }

    /// A connection was accepted.
    func connectionOpened() {
        accepted.increment()
        open.increment()
    }

    /// An accepted connection closed.
    func connectionClosed() { open.decrement() }

    /// A connection was refused on accept.
    func connectionRefused() { refused.increment() }

    /// A connection was closed by the handshake timeout.
    func handshakeTimedOut() { handshakeTimeouts.increment() }
}
