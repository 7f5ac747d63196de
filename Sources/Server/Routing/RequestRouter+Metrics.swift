import Decision
import NIOCore
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
        let futures = state.routers.map { entry in
            entry.loop.submit { entry.router.value.metrics.snapshot(cache: entry.router.value.renderCache.statistics) }
        }
        let gathered = EventLoopFuture.whenAllSucceed(futures, on: eventLoop).map { snapshots -> HTTPResponse in
            var total = MetricsSnapshot()
            for s in snapshots { total.add(s) }
            var out: [UInt8] = []
            total.appendPrometheus(to: &out)
            state.registry.emit(into: &out)
            var body = ByteBufferAllocator().buffer(capacity: out.count)
            body.writeBytes(out)
            return HTTPResponse(status: 200, headers: [("content-type", "text/plain; version=0.0.4")], body: body)
        }
        return .deferred(gathered)
    }
}
