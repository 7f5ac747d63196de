import Testing

@testable import NGHTTP2
@testable import Server

/// The per-response pieces written by hand for speed: the HTTP/2 header block and the array-indexed
/// request counters.
@Suite("Response header blocks and request counters")
struct ResponseEncodingTests {
    /// The block's fields as "name: value"; frees the block.
    static func fields(_ block: ResponseHeaderBlock) -> [String] {
        defer { block.deallocate() }
        return block.fieldLines
    }

    @Test func namesAreLowerCasedConnectionFieldsDroppedAndTheLengthAdded() {
        let block = ResponseHeaderBlock(
            status: 204,
            headers: [
                ("Content-Type", "Text/Plain"), ("Connection", "close"), ("Transfer-Encoding", "chunked"),
                ("X-Ünïcode-Ok", "välue"), ("keep-alive", "5"), ("Upgrade", "h2c"), ("Proxy-Connection", "x"),
                ("cache-control", "no-store"),
            ],
            bodyCount: 1_234_567)
        #expect(
            Self.fields(block) == [
                ":status: 204", "content-type: Text/Plain", "x-Ünïcode-ok: välue", "cache-control: no-store",
                "content-length: 1234567",
            ])
    }

    /// Values that differ per answer go out without HPACK indexing: indexing them would only push the
    /// shared fields out of the connection's dynamic table.
    @Test func perAnswerValuesAreNotIndexed() {
        let block = ResponseHeaderBlock(
            status: 200,
            headers: [("ETag", "\"t1-0123\""), ("tessera-exposure", "AbC"), ("cache-control", "private"), ("etags", "x")],
            bodyCount: 3)
        defer { block.deallocate() }
        #expect(block.notIndexedNames == ["etag", "tessera-exposure"])
    }

    @Test(arguments: [(0, "0"), (9, "9"), (10, "10"), (Int.max, "\(Int.max)")])
    func aGivenLengthIsKeptAndLengthsOfEverySizeAreWritten(count: Int, text: String) {
        #expect(Self.fields(ResponseHeaderBlock(status: 200, headers: [], bodyCount: count)) == [
            ":status: 200", "content-length: \(text)",
        ])
        #expect(
            Self.fields(ResponseHeaderBlock(status: 999, headers: [("Content-Length", "7")], bodyCount: count)) == [
                ":status: 999", "content-length: 7",
            ])
    }

    @Test func aStatusOutsideTheRangeIsSentAs500() {
        #expect(Self.fields(ResponseHeaderBlock(status: 42, headers: [], bodyCount: 1)).first == ":status: 500")
        #expect(Self.fields(ResponseHeaderBlock(status: 1000, headers: [], bodyCount: 1)).first == ":status: 500")
    }

    @Test func routeIndexesFollowAllCasesAndEveryStatusIsCounted() {
        #expect(Route.allCases.enumerated().allSatisfy { $0.offset == $0.element.index })
        let metrics = LoopMetrics()
        metrics.record(route: .healthz, status: 200, nanoseconds: 1_000)
        metrics.record(route: .healthz, status: 200, nanoseconds: 60_000)
        metrics.record(route: .decide, status: 404, nanoseconds: 1_000)
        metrics.record(route: .other, status: 7, nanoseconds: 1_000)
        let snapshot = metrics.snapshot()
        #expect(snapshot.requests[RouteStatus(route: .healthz, status: 200)] == 2)
        #expect(snapshot.requests[RouteStatus(route: .decide, status: 404)] == 1)
        #expect(snapshot.requests[RouteStatus(route: .other, status: 999)] == 1, "out of range counts as 999")
        #expect(snapshot.requests.values.reduce(0, +) == 4)
        #expect(snapshot.latency[.healthz]?.counts.reduce(0, +) == 2)
        #expect(snapshot.latency[.healthz]?.sumNanoseconds == 61_000)
        #expect(snapshot.latency[.slot] == nil)
    }
}
