import NGHTTP2
import NIOCore
import Testing

@testable import Server

/// `HTTP2ConnectionStateMachine` as a plain value: no channel, no nghttp2 session.
@Suite("HTTP/2 connection state machine")
struct HTTP2ConnectionStateMachineTests {
    static let limits = HTTP2ConnectionStateMachine.Limits(maxBodySize: 1024)

    static func head(_ method: String = "GET", _ path: String = "/p", headers: [(String, String)] = []) -> RequestHead {
        var head = RequestHead()
        head.method = method
        head.path = path
        head.headers = headers.map { (name: $0.0, value: $0.1) }
        return head
    }

    /// The request of a `.dispatch` action, or nil.
    static func dispatched(_ action: HTTP2ConnectionStateMachine.StreamAction) -> HTTPRequest? {
        if case .dispatch(let request) = action { return request }
        return nil
    }

    /// The status of a `.reject` action, or nil.
    static func rejected(_ action: HTTP2ConnectionStateMachine.StreamAction) -> Int? {
        if case .reject(let status, _) = action { return status }
        return nil
    }

    static func bytes(_ count: Int) -> [UInt8] { [UInt8](repeating: UInt8(ascii: "b"), count: count) }

    @Test("A request without a body is dispatched with its headers")
    func getIsDispatched() throws {
        var state = HTTP2ConnectionStateMachine(limits: Self.limits)
        let action = state.receivedHead(
            Self.head("GET", "/a?x=1", headers: [("x-a", "1")]), streamID: 1, endStream: true)
        let request = try #require(Self.dispatched(action))
        #expect(request.method == "GET")
        #expect(request.path == "/a")
        #expect(request.query == "x=1")
        #expect(request.header("x-a") == "1")
        #expect(state.openStreamCount == 1)
        state.streamClosed(1)
        #expect(state.openStreamCount == 0)
    }

    @Test("A body is collected and dispatched at end of stream, once")
    func bodyIsCollected() throws {
        var state = HTTP2ConnectionStateMachine(limits: Self.limits)
        #expect(Self.dispatched(state.receivedHead(Self.head("POST"), streamID: 3, endStream: false)) == nil)
        for chunk in [Self.bytes(10), Self.bytes(20)] {
            let action = chunk.withUnsafeBytes { state.receivedData($0, streamID: 3) }
            #expect(Self.dispatched(action) == nil && Self.rejected(action) == nil)
        }
        let request = try #require(Self.dispatched(state.receivedEnd(streamID: 3)))
        #expect(request.body.readableBytes == 30)
        #expect(Self.dispatched(state.receivedEnd(streamID: 3)) == nil, "a stream is dispatched once")
    }

    @Test("No buffer is reserved from a declared content-length: memory follows the bytes that arrive")
    func noReservationFromContentLength() throws {
        var state = HTTP2ConnectionStateMachine(limits: .init(maxBodySize: 1 << 20))
        let head = Self.head("POST", headers: [("content-length", "1000000")])
        #expect(Self.rejected(state.receivedHead(head, streamID: 1, endStream: false)) == nil)
        _ = Self.bytes(10).withUnsafeBytes { state.receivedData($0, streamID: 1) }
        let request = try #require(Self.dispatched(state.receivedEnd(streamID: 1)))
        #expect(request.body.readableBytes == 10)
        #expect(request.body.capacity < 64 * 1024, "capacity \(request.body.capacity) was sized from content-length")
    }

    @Test("413 for a declared content-length over the limit; the rest of the stream is ignored")
    func declaredLengthOverLimit() {
        var state = HTTP2ConnectionStateMachine(limits: Self.limits)
        let head = Self.head("POST", headers: [("content-length", "1025")])
        #expect(Self.rejected(state.receivedHead(head, streamID: 1, endStream: false)) == 413)
        let more = Self.bytes(10).withUnsafeBytes { state.receivedData($0, streamID: 1) }
        #expect(Self.rejected(more) == nil && Self.dispatched(more) == nil)
        let end = state.receivedEnd(streamID: 1)
        #expect(Self.rejected(end) == nil && Self.dispatched(end) == nil)
    }

    @Test("A content-length no integer can hold is not trusted, and does not trap")
    func absurdContentLength() throws {
        var state = HTTP2ConnectionStateMachine(limits: Self.limits)
        for (index, value) in ["99999999999999999999999", "-1", "abc"].enumerated() {
            let streamID = Int32(2 * index + 1)
            let head = Self.head("POST", headers: [("content-length", value)])
            _ = state.receivedHead(head, streamID: streamID, endStream: false)
            let request = try #require(Self.dispatched(state.receivedEnd(streamID: streamID)))
            #expect(request.body.readableBytes == 0)
        }
    }

    @Test("413 once the received body passes the limit, and only once")
    func bodyOverLimit() {
        var state = HTTP2ConnectionStateMachine(limits: Self.limits)
        _ = state.receivedHead(Self.head("POST"), streamID: 1, endStream: false)
        let fits = Self.bytes(1024).withUnsafeBytes { state.receivedData($0, streamID: 1) }
        #expect(Self.rejected(fits) == nil)
        let over = Self.bytes(1).withUnsafeBytes { state.receivedData($0, streamID: 1) }
        #expect(Self.rejected(over) == 413)
        let after = Self.bytes(1).withUnsafeBytes { state.receivedData($0, streamID: 1) }
        #expect(Self.rejected(after) == nil)
        #expect(Self.dispatched(state.receivedEnd(streamID: 1)) == nil)
    }

    @Test("431 for a header list over the limit")
    func headerListOverLimit() {
        var state = HTTP2ConnectionStateMachine(limits: Self.limits)
        var head = Self.head()
        head.exceedsHeaderListSize = true
        #expect(Self.rejected(state.receivedHead(head, streamID: 1, endStream: true)) == 431)
    }

    @Test("The handshake timeout ends a connection only before its first request")
    func handshakeTimeout() {
        var fresh = HTTP2ConnectionStateMachine(limits: Self.limits)
        #expect(fresh.handshakeTimeoutFired() == .terminate(errorCode: HTTP2ErrorCode.noError))
        #expect(fresh.isClosed)

        var served = HTTP2ConnectionStateMachine(limits: Self.limits)
        _ = served.receivedHead(Self.head(), streamID: 1, endStream: true)
        #expect(served.handshakeTimeoutFired() == .none)
        #expect(!served.isClosed)
    }

    @Test("The idle timeout waits for requests in flight")
    func idleTimeout() {
        var state = HTTP2ConnectionStateMachine(limits: Self.limits)
        _ = state.receivedHead(Self.head(), streamID: 1, endStream: true)
        #expect(state.idleTimeoutFired() == .none)
        state.streamClosed(1)
        #expect(state.idleTimeoutFired() == .terminate(errorCode: HTTP2ErrorCode.noError))
        #expect(state.idleTimeoutFired() == .none, "closed: nothing more")
    }

    @Test("Shutdown starts once; a failed receive closes; a closed connection ignores everything")
    func shutdownAndFailure() {
        var state = HTTP2ConnectionStateMachine(limits: Self.limits)
        #expect(state.shutdownRequested() == .beginGracefulShutdown)
        #expect(state.shutdownRequested() == .none)
        #expect(state.receiveFailed() == .flushAndClose)
        #expect(state.receiveFailed() == .none)
        #expect(Self.dispatched(state.receivedHead(Self.head(), streamID: 1, endStream: true)) == nil)
        #expect(state.shutdownRequested() == .none)
    }
}
