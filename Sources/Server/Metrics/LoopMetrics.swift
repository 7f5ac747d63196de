import Decision

/// Request and decision counters owned by one event loop.
///
/// Plain integers, touched only on their loop: the hot path takes no lock and no atomic. `/metrics` asks
/// every loop for a ``MetricsSnapshot`` (on that loop) and adds them up.
final class LoopMetrics {
    /// Latency histogram bucket bounds, in nanoseconds.
    static let latencyBounds: [Int64] = [
        25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000,
        100_000_000, 1_000_000_000,
    ]

    /// Statuses counted one by one; anything outside is counted as 999 (responses are 100...999 anyway).
    static let statuses = 100...999
    /// Requests by route and status: `[route.index * statuses.count + status - 100]`. An array, not a
    /// dictionary: hashing a `Route` hashes its raw string, which cost more than the rest of `/healthz`'s
    /// routing together.
    private var requests = [Int](repeating: 0, count: Route.allCases.count * statuses.count)
    /// Latency by `route.index`.
    private var latency = [LatencyHistogram](repeating: LatencyHistogram(), count: Route.allCases.count)
    private var decisions: [[Int]] = []
    private var decisionLabels: [(slot: String, outcomes: [String])] = []
    private var retiredDecisions: [DecisionKey: Int] = [:]

    /// Records one answered request.
    @inline(__always)
    func record(route: Route, status: Int, nanoseconds: Int64) {
        let status = Self.statuses.contains(status) ? status : Self.statuses.upperBound
        requests[route.index &* Self.statuses.count &+ (status &- Self.statuses.lowerBound)] &+= 1
        latency[route.index].record(nanoseconds)
    }

    /// Records one slot decision.
    @inline(__always)
    func record(_ choice: SlotChoice) {
        guard choice.slot >= 0, choice.slot < decisions.count, choice.outcome < decisions[choice.slot].count else {
            return
        }
        decisions[choice.slot][choice.outcome] += 1
    }

    /// Starts counting against `engine`'s slots, keeping the totals counted so far.
    func adopt(_ engine: DecisionEngine) {
        retireCurrent()
        decisionLabels = engine.slotIDs.enumerated().map { (i, id) in (id, engine.outcomeLabels(slot: i)) }
        decisions = decisionLabels.map { [Int](repeating: 0, count: $0.outcomes.count) }
    }

    private func retireCurrent() {
        for (s, entry) in decisionLabels.enumerated() {
            for (o, label) in entry.outcomes.enumerated() where decisions[s][o] > 0 {
                retiredDecisions[DecisionKey(slot: entry.slot, outcome: label), default: 0] += decisions[s][o]
            }
        }
    }

    /// A copy of every counter, with the loop's render cache counters.
    func snapshot(cache: RenderCache.Statistics = RenderCache.Statistics()) -> MetricsSnapshot {
        var d = retiredDecisions
        for (s, entry) in decisionLabels.enumerated() {
            for (o, label) in entry.outcomes.enumerated() where decisions[s][o] > 0 {
                d[DecisionKey(slot: entry.slot, outcome: label), default: 0] += decisions[s][o]
            }
        }
        var byStatus: [RouteStatus: Int] = [:]
        var byRoute: [Route: LatencyHistogram] = [:]
        for route in Route.allCases {
            for status in Self.statuses {
                let n = requests[route.index * Self.statuses.count + status - Self.statuses.lowerBound]
                if n > 0 { byStatus[RouteStatus(route: route, status: status)] = n }
            }
            if latency[route.index].counts.contains(where: { $0 > 0 }) { byRoute[route] = latency[route.index] }
        }
        return MetricsSnapshot(requests: byStatus, latency: byRoute, decisions: d, renderCache: cache)
    }
}

/// The routes metrics are kept for.
enum Route: String, Sendable, CaseIterable {
    case decide = "/v1/decide"
    case slot = "/v1/slots/{slot}"
    case healthz = "/healthz"
    case readyz = "/readyz"
    case metrics = "/metrics"
    case webhook = "/v1/webhooks/cms"
    case admin = "/v1/admin"
    case preview = "/v1/preview"
    case deltas = "/v1/profiles/deltas"
    case profile = "/v1/profiles/{id}"
    case ingestSegment = "/v1/ingest/segment"
    case other = "other"
    case feedback = "/v1/feedback"

    /// The route's position in `allCases`, for array-indexed counters.
    var index: Int {
        switch self {
        case .decide: 0
        case .slot: 1
        case .healthz: 2
        case .readyz: 3
        case .metrics: 4
        case .webhook: 5
        case .admin: 6
        case .preview: 7
        case .deltas: 8
        case .profile: 9
        case .ingestSegment: 10
        case .other: 11
        case .feedback: 12
        }
    }
}

/// A route and a status code.
struct RouteStatus: Hashable, Sendable {
    let route: Route
    let status: Int
}

/// A slot and one of its outcomes.
struct DecisionKey: Hashable, Sendable {
    let slot: String
    let outcome: String
}

/// Fixed-bucket latency histogram (cumulative at exposition time).
struct LatencyHistogram: Sendable {
    var counts = [Int](repeating: 0, count: LoopMetrics.latencyBounds.count + 1)
    var sumNanoseconds: Int64 = 0

    @inline(__always)
    mutating func record(_ ns: Int64) {
        var i = 0
        let bounds = LoopMetrics.latencyBounds
        while i < bounds.count, ns > bounds[i] { i += 1 }
        counts[i] += 1
        sumNanoseconds &+= ns
    }

    mutating func add(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        sumNanoseconds &+= other.sumNanoseconds
    }
}

/// Every counter of one or more loops.
struct MetricsSnapshot: Sendable {
    var requests: [RouteStatus: Int] = [:]
    var latency: [Route: LatencyHistogram] = [:]
    var decisions: [DecisionKey: Int] = [:]
    var renderCache = RenderCache.Statistics()

    /// Adds `other`'s counts to these.
    mutating func add(_ other: MetricsSnapshot) {
        renderCache.hits += other.renderCache.hits
        renderCache.misses += other.renderCache.misses
        renderCache.evictions += other.renderCache.evictions
        renderCache.bytes += other.renderCache.bytes
        renderCache.entries += other.renderCache.entries
        requests.merge(other.requests, uniquingKeysWith: +)
        decisions.merge(other.decisions, uniquingKeysWith: +)
        for (route, h) in other.latency { latency[route, default: LatencyHistogram()].add(h) }
    }
}
