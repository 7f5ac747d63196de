import NGHTTP2
import NIOCore
import NIOHTTP1
import Testing

@testable import Server

/// A body stream that records what the transport did with it.
final class RecordingBodyStream: HTTPBodyStream {
    let maxBodySize: Int
    /// Answer the piece that brings the total past this many bytes with a 400.
    let failAfter: Int?
    var received: [UInt8] = []
    var finished = 0
    var cancelled = 0

    init(maxBodySize: Int, failAfter: Int? = nil) {
        self.maxBodySize = maxBodySize
        self.failAfter = failAfter
    }

    func receive(_ bytes: UnsafeRawBufferPointer) -> HTTPResponse? {
        received.append(contentsOf: bytes)
        if let failAfter, received.count > failAfter { return .plain(400, "bad piece") }
        return nil
    }

    func finish() -> HTTPHandlerResult {
        finished += 1
        return .immediate(.plain(201, "got \(received.count)"))
    }

    func cancel() { cancelled += 1 }

    /// Each transport call happened at most once, and never both finish and cancel.
    var endedOnce: Bool { finished + cancelled <= 1 }
}

/// How both connection state values hand a body to an `HTTPBodyStream`: pieces in order, past the buffered
/// limit up to the stream's own, then exactly one of finish or cancel, or neither after an early answer.
@Suite("Streamed request bodies")
struct BodyStreamTests {
    typealias H2 = HTTP2ConnectionStateMachineTests
    typealias H1 = HTTP1ConnectionStateTests

    @Test("HTTP/2: pieces past the buffered limit reach the stream, then finish once")
    func http2Streams() throws {
        var state = HTTP2ConnectionStateMachine(limits: H2.limits)  // buffered limit 1024
        let stream = RecordingBodyStream(maxBodySize: 10_000)
        var asked: [String] = []
        let head = state.receivedHead(H2.head("PUT", "/up"), streamID: 1, endStream: false) {
            asked.append($0.path)
            return stream
        }
        #expect(asked == ["/up"])
        #expect(H2.rejected(head) == nil)
        for _ in 0..<8 {
            let action = H2.bytes(1000).withUnsafeBytes { state.receivedData($0, streamID: 1) }
            if case .none = action {} else { Issue.record("unexpected \(action)") }
        }
        #expect(stream.received.count == 8000)
        guard case .finish(let finished) = state.receivedEnd(streamID: 1) else {
            Issue.record("no finish")
            return
        }
        #expect(finished === stream)
        state.streamClosed(1)
        #expect(stream.cancelled == 0, "a finished stream is not cancelled when it closes")
        #expect(stream.endedOnce)
    }

    @Test("HTTP/2: a GET never asks; a declared length past the stream's limit is 413 and cancels")
    func http2Limits() throws {
        var state = HTTP2ConnectionStateMachine(limits: H2.limits)
        var asked = 0
        _ = state.receivedHead(H2.head("GET", "/g"), streamID: 1, endStream: true) { _ in
            asked += 1
            return nil
        }
        #expect(asked == 0)
        let stream = RecordingBodyStream(maxBodySize: 2000)
        let action = state.receivedHead(
            H2.head("PUT", "/up", headers: [("content-length", "2001")]), streamID: 3, endStream: false
        ) { _ in stream }
        #expect(H2.rejected(action) == 413)
        #expect(stream.cancelled == 1)

        let second = RecordingBodyStream(maxBodySize: 2000)
        _ = state.receivedHead(H2.head("PUT", "/up"), streamID: 5, endStream: false) { _ in second }
        _ = H2.bytes(1500).withUnsafeBytes { state.receivedData($0, streamID: 5) }
        #expect(H2.rejected(H2.bytes(501).withUnsafeBytes { state.receivedData($0, streamID: 5) }) == 413)
        #expect(second.cancelled == 1)
        #expect(H2.bytes(10).withUnsafeBytes { state.receivedData($0, streamID: 5) }.isNone)
        #expect(state.receivedEnd(streamID: 5).isNone)
        #expect(second.received.count == 1500 && second.finished == 0 && second.endedOnce)
    }

    @Test("HTTP/2: an early answer from the stream is sent; nothing more reaches it; reset or close cancels others")
    func http2EarlyAnswerAndCancel() throws {
        var state = HTTP2ConnectionStateMachine(limits: H2.limits)
        let failing = RecordingBodyStream(maxBodySize: 10_000, failAfter: 100)
        _ = state.receivedHead(H2.head("PUT", "/up"), streamID: 1, endStream: false) { _ in failing }
        guard case .respond(let response) = H2.bytes(200).withUnsafeBytes({ state.receivedData($0, streamID: 1) })
        else {
            Issue.record("no early answer")
            return
        }
        #expect(response.status == 400)
        #expect(H2.bytes(10).withUnsafeBytes { state.receivedData($0, streamID: 1) }.isNone)
        #expect(state.receivedEnd(streamID: 1).isNone)
        state.streamClosed(1)
        #expect(failing.received.count == 200 && failing.finished == 0 && failing.cancelled == 0)

        let reset = RecordingBodyStream(maxBodySize: 10_000)
        let closed = RecordingBodyStream(maxBodySize: 10_000)
        _ = state.receivedHead(H2.head("PUT", "/a"), streamID: 3, endStream: false) { _ in reset }
        _ = state.receivedHead(H2.head("PUT", "/b"), streamID: 5, endStream: false) { _ in closed }
        state.streamClosed(3)
        #expect(reset.cancelled == 1 && closed.cancelled == 0)
        state.closed()
        #expect(closed.cancelled == 1 && reset.cancelled == 1)
    }

    @Test("HTTP/1.1: pieces reach the stream past the buffered limit; an early answer closes; close cancels")
    func http1Streams() throws {
        var state = HTTP1ConnectionState()
        let stream = RecordingBodyStream(maxBodySize: 10_000)
        var asked = 0
        let ask: (HTTPRequest) -> (any HTTPBodyStream)? = { _ in
            asked += 1
            return stream
        }
        _ = state.receive(H1.head(.GET, "/g"), limits: H1.limits, bodyStream: ask)
        #expect(asked == 0, "a request without a declared body does not ask")
        _ = state.receive(.end(nil), limits: H1.limits, bodyStream: ask)
        _ = state.receive(
            H1.head(.PUT, "/up", headers: [("content-length", "5000")]), limits: H1.limits, bodyStream: ask)
        #expect(asked == 1)
        for _ in 0..<5 { #expect(state.receive(H1.body(1000), limits: H1.limits).isNone) }
        guard case .finish(let index, let finished) = state.receive(.end(nil), limits: H1.limits) else {
            Issue.record("no finish")
            return
        }
        #expect(index == 1 && finished === stream && stream.received.count == 5000)

        let failing = RecordingBodyStream(maxBodySize: 10_000, failAfter: 10)
        _ = state.receive(
            H1.head(.PUT, "/up", headers: [("content-length", "5000")]), limits: H1.limits, bodyStream: { _ in failing })
        guard case .respond(let early, let response) = state.receive(H1.body(100), limits: H1.limits) else {
            Issue.record("no early answer")
            return
        }
        #expect(early == 2 && response.status == 400)
        #expect(state.receive(H1.body(100), limits: H1.limits).isNone)
        #expect(failing.received.count == 100 && failing.endedOnce)

        var other = HTTP1ConnectionState()
        let open = RecordingBodyStream(maxBodySize: 10_000)
        _ = other.receive(
            H1.head(.PUT, "/up", headers: [("content-length", "5000")]), limits: H1.limits, bodyStream: { _ in open })
        #expect(H1.rejected(other.receive(H1.body(100), limits: H1.limits)) == nil)
        other.closed()
        #expect(open.cancelled == 1 && open.finished == 0)

        var limited = HTTP1ConnectionState()
        let small = RecordingBodyStream(maxBodySize: 1500)
        _ = limited.receive(
            H1.head(.PUT, "/up", headers: [("transfer-encoding", "chunked")]), limits: H1.limits,
            bodyStream: { _ in small })
        #expect(limited.receive(H1.body(1000), limits: H1.limits).isNone)
        #expect(H1.rejected(limited.receive(H1.body(1000), limits: H1.limits)) == 413)
        #expect(small.cancelled == 1 && small.received.count == 1000)
    }
}

extension HTTP2ConnectionStateMachine.StreamAction {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}

extension HTTP1ConnectionState.Action {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
