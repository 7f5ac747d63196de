import Decision
import Foundation
import JSON

extension MetricsSnapshot {
    /// Appends the Prometheus text exposition (version 0.0.4) of these counters.
    func appendPrometheus(to out: inout [UInt8]) {
        func line(_ s: String) {
            out.append(contentsOf: s.utf8)
            out.append(0x0A)
        }
        let label = prometheusLabel
        line("# HELP tessera_http_requests_total HTTP requests answered, by route and status.")
        line("# TYPE tessera_http_requests_total counter")
        for (k, v) in requests.sorted(by: {
            ($0.key.route.rawValue, $0.key.status) < ($1.key.route.rawValue, $1.key.status)
        }) {
            line("tessera_http_requests_total{route=\"\(k.route.rawValue)\",status=\"\(k.status)\"} \(v)")
        }
        line("# HELP tessera_http_request_duration_seconds Time from request complete to response ready, by route.")
        line("# TYPE tessera_http_request_duration_seconds histogram")
        for (route, h) in latency.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            var cumulative = 0
            for (i, bound) in LoopMetrics.latencyBounds.enumerated() {
                cumulative += h.counts[i]
                let le = Double(bound) / 1e9
                line(
                    "tessera_http_request_duration_seconds_bucket{route=\"\(route.rawValue)\",le=\"\(le)\"} \(cumulative)"
                )
            }
            cumulative += h.counts[LoopMetrics.latencyBounds.count]
            line("tessera_http_request_duration_seconds_bucket{route=\"\(route.rawValue)\",le=\"+Inf\"} \(cumulative)")
            line(
                "tessera_http_request_duration_seconds_sum{route=\"\(route.rawValue)\"} \(Double(h.sumNanoseconds) / 1e9)"
            )
            line("tessera_http_request_duration_seconds_count{route=\"\(route.rawValue)\"} \(cumulative)")
        }
        line("# HELP tessera_render_cache_hits_total Rendered blocks served from the per-loop render cache.")
        line("# TYPE tessera_render_cache_hits_total counter")
        line("tessera_render_cache_hits_total \(renderCache.hits)")
        line("# HELP tessera_render_cache_misses_total Cacheable renders that had to run.")
        line("# TYPE tessera_render_cache_misses_total counter")
        line("tessera_render_cache_misses_total \(renderCache.misses)")
        line("# HELP tessera_render_cache_evictions_total Entries dropped to stay within the byte budget.")
        line("# TYPE tessera_render_cache_evictions_total counter")
        line("tessera_render_cache_evictions_total \(renderCache.evictions)")
        line("# HELP tessera_render_cache_bytes Bytes held by the render caches.")
        line("# TYPE tessera_render_cache_bytes gauge")
        line("tessera_render_cache_bytes \(renderCache.bytes)")
        line(
            "# HELP tessera_decisions_total Slot decisions, by slot and outcome (rule, experiment:variant, or default)."
        )
        line("# TYPE tessera_decisions_total counter")
        for (k, v) in decisions.sorted(by: { ($0.key.slot, $0.key.outcome) < ($1.key.slot, $1.key.outcome) }) {
            line("tessera_decisions_total{slot=\"\(label(k.slot))\",outcome=\"\(label(k.outcome))\"} \(v)")
        }
    }
}

/// A Prometheus label value escaped (backslash, quote, newline).
func prometheusLabel(_ s: String) -> String {
    s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        .replacingOccurrences(of: "\n", with: "\\n")
}
