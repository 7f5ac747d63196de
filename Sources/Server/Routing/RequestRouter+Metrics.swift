import Decision
import Foundation
import NIOCore
import Outcomes
import Prometheus

extension RequestRouter {
    /// `GET /metrics`: every loop's counters, gathered on their own loops, plus process gauges.
    func metricsResponse(_ request: HTTPRequest) -> HTTPHandlerResult {
        guard request.method == "GET" else {
            var e = APIError(status: 405, code: "method_not_allowed", message: "use GET on /metrics")
            e.headers = [("allow", "GET")]
            return .immediate(e.response(allocator: allocator))
        }
        let state = self.state
        let outcomes = self.outcomes
        let futures = state.routers.map { entry in
            entry.loop.submit { entry.router.value.metrics.snapshot(cache: entry.router.value.renderCache.statistics) }
        }
        let gathered = EventLoopFuture.whenAllSucceed(futures, on: eventLoop).map { snapshots -> HTTPResponse in
            var total = MetricsSnapshot()
            for s in snapshots { total.add(s) }
            var out: [UInt8] = []
            total.appendPrometheus(to: &out)
            if let outcomes { Self.appendOutcomeMetrics(outcomes.collector, to: &out) }
            state.registry.emit(into: &out)
            var body = ByteBufferAllocator().buffer(capacity: out.count)
            body.writeBytes(out)
            return HTTPResponse(status: 200, headers: [("content-type", "text/plain; version=0.0.4")], body: body)
        }
        return .deferred(gathered)
    }

    /// Exposures counted and dropped, clicks and conversions by slot, rule and variant.
    static func appendOutcomeMetrics(_ c: OutcomeCollector, to out: inout [UInt8]) {
        func line(_ s: String) { out.append(contentsOf: s.utf8); out.append(0x0A) }
        let label = prometheusLabel
        line("# HELP tessera_exposures_counted_total Exposures (shown slots) committed by the outcome collector.")
        line("# TYPE tessera_exposures_counted_total counter")
        line("tessera_exposures_counted_total \(c.counted)")
        line("# HELP tessera_exposures_dropped_total Exposures dropped because a loop's ring was full (never waited on).")
        line("# TYPE tessera_exposures_dropped_total counter")
        line("tessera_exposures_dropped_total \(c.dropped)")
        let totals = c.feedbackTotals.sorted { ($0.key.slot, $0.key.rule, $0.key.variant) < ($1.key.slot, $1.key.rule, $1.key.variant) }
        line("# HELP tessera_clicks_total Clicks counted, by slot, rule (empty: the default) and variant.")
        line("# TYPE tessera_clicks_total counter")
        for (k, v) in totals {
            line("tessera_clicks_total{slot=\"\(label(k.slot))\",rule=\"\(label(k.rule))\",variant=\"\(label(k.variant))\"} \(v.clicks)")
        }
        line("# HELP tessera_conversions_total Conversions attributed, by slot, rule and variant.")
        line("# TYPE tessera_conversions_total counter")
        for (k, v) in totals {
            line("tessera_conversions_total{slot=\"\(label(k.slot))\",rule=\"\(label(k.rule))\",variant=\"\(label(k.variant))\"} \(v.conversions)")
        }
    }
}
