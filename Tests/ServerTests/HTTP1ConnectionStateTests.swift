import NIOCore
import NIOHTTP1
import Testing

@testable import Server

/// `HTTP1ConnectionState` as a plain value: request assembly, limits, response order.
@Suite("HTTP/1.1 connection state")
struct HTTP1ConnectionStateTests {
    static let limits = HTTP1ConnectionState.Limits(maxHeaderListSize: 1024, maxBodySize: 1024)

    static func head(
        _ method: HTTPMethod = .GET, _ uri: String = "/p", version: HTTPVersion = .http1_1,
        headers: [(String, String)] = []
    ) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers)))
    }

    static func body(_ count: Int) -> HTTPServerRequestPart {
        .body(ByteBuffer(repeating: UInt8(ascii: "b"), count: count))
    }

    /// The index and request of a `.dispatch` action, or nil.
    static func dispatched(_ action: HTTP1ConnectionState.Action) -> (index: Int, request: HTTPRequest)? {
        if case .dispatch(let index, let request) = action { return (index, request) }
        return nil
    }

    /// The status of a `.reject` action, or nil.
    static func rejected(_ action: HTTP1ConnectionState.Action) -> Int? {
        if case .reject(_, let status, _) = action { return status }
        return nil
    }

    static func response(_ text: String) -> HTTPResponse { HTTPResponse(status: 200, body: ByteBuffer(string: text)) }

    @Test("A request is assembled from head, body and end; header names are lower-cased")
    func assemble() throws {
        var state = HTTP1ConnectionState()
        #expect(state.isIdle)
        _ = state.receive(Self.head(.POST, "/a?q=1", headers: [("X-Name", "v")]), limits: Self.limits)
        #expect(!state.isIdle)
        _ = state.receive(Self.body(5), limits: Self.limits)
        _ = state.receive(Self.body(7), limits: Self.limits)
        let (index, request) = try #require(Self.dispatched(state.receive(.end(nil), limits: Self.limits)))
        #expect(index == 0)
        #expect(request.method == "POST" && request.path == "/a" && request.query == "q=1")
        #expect(request.header("x-name") == "v")
        #expect(request.headers.first?.name == "x-name")
        #expect(request.body.readableBytes == 12)
    }

    @Test("No buffer is reserved from a declared content-length")
    func noReservationFromContentLength() throws {
        var state = HTTP1ConnectionState()
        let limits = HTTP1ConnectionState.Limits(maxHeaderListSize: 1024, maxBodySize: 1 << 20)
        _ = state.receive(Self.head(.POST, headers: [("content-length", "1000000")]), limits: limits)
        _ = state.receive(Self.body(10), limits: limits)
        let (_, request) = try #require(Self.dispatched(state.receive(.end(nil), limits: limits)))
        #expect(request.body.capacity < 64 * 1024, "capacity \(request.body.capacity)")
    }

    @Test("Pipelined responses leave in request order, whatever order they complete in")
    func pipelining() {
        var state = HTTP1ConnectionState()
        for path in ["/0", "/1", "/2"] {
            _ = state.receive(Self.head(.GET, path), limits: Self.limits)
            _ = state.receive(.end(nil), limits: Self.limits)
        }
        #expect(state.complete(index: 2, response: Self.response("2")).isEmpty)
        #expect(state.complete(index: 1, response: Self.response("1")).isEmpty)
        let ready = state.complete(index: 0, response: Self.response("0"))
        #expect(ready.map { String(buffer: $0.response.body) } == ["0", "1", "2"])
        #expect(ready.allSatisfy { !$0.closeAfter })
        #expect(state.isIdle)
    }

    @Test("HTTP/1.0 without keep-alive closes after its response")
    func http10Closes() {
        var state = HTTP1ConnectionState()
        _ = state.receive(Self.head(version: .http1_0), limits: Self.limits)
        _ = state.receive(.end(nil), limits: Self.limits)
        let ready = state.complete(index: 0, response: Self.response("x"))
        #expect(ready.count == 1 && ready[0].closeAfter && ready[0].version == .http1_0)
    }

    @Test("413 for a declared content-length over the limit, then the connection discards input")
    func declaredLengthOverLimit() {
        var state = HTTP1ConnectionState()
        let action = state.receive(Self.head(.POST, headers: [("content-length", "1025")]), limits: Self.limits)
        #expect(Self.rejected(action) == 413)
        #expect(Self.dispatched(state.receive(.end(nil), limits: Self.limits)) == nil)
        _ = state.receive(Self.head(), limits: Self.limits)
        #expect(Self.dispatched(state.receive(.end(nil), limits: Self.limits)) == nil, "discarding after a reject")
        let ready = state.complete(index: 0, response: Self.response("too large"))
        #expect(ready.count == 1 && ready[0].closeAfter)
    }

    @Test("413 once the body passes the limit")
    func bodyOverLimit() {
        var state = HTTP1ConnectionState()
        _ = state.receive(Self.head(.POST), limits: Self.limits)
        #expect(Self.rejected(state.receive(Self.body(1024), limits: Self.limits)) == nil)
        #expect(Self.rejected(state.receive(Self.body(1), limits: Self.limits)) == 413)
    }

    @Test("431 for a header list over the limit")
    func headersOverLimit() {
        var state = HTTP1ConnectionState()
        let big = String(repeating: "h", count: 2000)
        #expect(Self.rejected(state.receive(Self.head(headers: [("x-big", big)]), limits: Self.limits)) == 431)
    }

    @Test("expect: 100-continue asks for a 100 Continue")
    func expectContinue() {
        var state = HTTP1ConnectionState()
        let action = state.receive(Self.head(.POST, headers: [("Expect", "100-continue")]), limits: Self.limits)
        guard case .sendContinue = action else {
            Issue.record("expected .sendContinue, got \(action)")
            return
        }
    }

    @Test("After shutdown began, the last response in flight carries close")
    func closing() {
        var state = HTTP1ConnectionState()
        _ = state.receive(Self.head(), limits: Self.limits)
        _ = state.receive(.end(nil), limits: Self.limits)
        state.beginClosing()
        let ready = state.complete(index: 0, response: Self.response("x"))
        #expect(ready.count == 1 && ready[0].closeAfter)
    }

    @Test("A parse error takes the next response slot, once")
    func parseFailure() {
        var state = HTTP1ConnectionState()
        #expect(state.failParsing() == 0)
        #expect(state.failParsing() == nil)
    }
}
