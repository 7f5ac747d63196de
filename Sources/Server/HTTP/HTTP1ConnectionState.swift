import NIOCore
import NIOHTTP1

/// HTTP/1.1 connection logic as a value: assembles requests from decoder parts, enforces limits,
/// and releases responses in request order, deciding which one closes the connection.
struct HTTP1ConnectionState {
    /// Request limits.
    struct Limits {
        /// Largest header list in bytes (request line + name + value + 4 per field).
        var maxHeaderListSize: Int
        /// Largest body in bytes.
        var maxBodySize: Int
    }

    /// A response whose turn has come.
    struct ReadyResponse {
        /// The response.
        var response: HTTPResponse
        /// The request's HTTP version, used for the status line.
        var version: HTTPVersion
        /// True when the connection closes after this response.
        var closeAfter: Bool
    }

    /// What the handler must do after a request part.
    enum Action {
        /// Nothing yet.
        case none
        /// Send "100 Continue" (the client asked with `expect: 100-continue`).
        case sendContinue
        /// Hand the complete request with sequence number `index` to the request handler.
        case dispatch(index: Int, request: HTTPRequest)
        /// Answer request `index` with `status` and close after it.
        case reject(index: Int, status: Int, reason: String)
        /// Answer request `index` with a response its body stream returned, and close after it.
        case respond(index: Int, response: HTTPResponse)
        /// Request `index`'s streamed body is complete: answer with what the stream's `finish()` returns.
        case finish(index: Int, stream: any HTTPBodyStream)
    }

    /// Where reading stands.
    private enum Reading {
        /// Between requests.
        case idle
        /// Head received, body arriving.
        case body(index: Int, head: HTTPRequestHead, headers: [(name: String, value: String)], body: ByteBuffer)
        /// Head received, body arriving into a stream (``HTTPBodyStream``); `received` bytes so far.
        case streaming(index: Int, stream: any HTTPBodyStream, received: Int)
        /// A request was rejected: everything else is dropped until the connection closes.
        case discarding
    }

    /// Per-request facts kept until its response is written.
    private struct Meta {
        /// The request's version.
        var version: HTTPVersion
        /// Whether the client wants the connection kept open.
        var keepAlive: Bool
    }

    private var reading = Reading.idle
    private var nextRequest = 0
    private var nextResponse = 0
    private var meta: [Int: Meta] = [:]
    private var parked: [Int: HTTPResponse] = [:]
    /// True after shutdown began: the last in-flight response carries `connection: close`.
    private(set) var isClosing = false

    /// A connection with nothing received.
    init() {}

    /// True when no request is being read or awaits its response.
    var isIdle: Bool {
        if case .idle = reading { return nextRequest == nextResponse }
        return false
    }

    /// The connection is gone: a body stream still receiving is cancelled.
    mutating func closed() {
        if case .streaming(_, let stream, _) = reading { stream.cancel() }
        reading = .discarding
    }

    /// Starts winding down (graceful shutdown).
    mutating func beginClosing() { isClosing = true }

    /// Processes one decoder part. For a head, `bodyStream` is asked whether the handler takes the body as a
    /// stream (``HTTPBodyStream``) rather than buffered.
    mutating func receive(
        _ part: HTTPServerRequestPart, limits: Limits,
        bodyStream: (HTTPRequest) -> (any HTTPBodyStream)? = { _ in nil }
    ) -> Action {
        switch (part, reading) {
        case (.head(let head), .idle):
            let index = nextRequest
            nextRequest += 1
            meta[index] = Meta(version: head.version, keepAlive: head.isKeepAlive)
            var size = head.uri.utf8.count + head.method.rawValue.utf8.count
            var headers: [(name: String, value: String)] = []
            headers.reserveCapacity(head.headers.count)
            var expectsContinue = false
            for (name, value) in head.headers {
                size += name.utf8.count + value.utf8.count + 4
                let lowered = name.utf8.contains { $0 >= 65 && $0 <= 90 } ? name.lowercased() : name
                if lowered == "expect", value.lowercased() == "100-continue" { expectsContinue = true }
                headers.append((lowered, value))
            }
            if size > limits.maxHeaderListSize { return reject(index, 431, "request header fields too large") }
            // Only a request that declares a body can stream it (a GET without one never asks).
            let declared = head.headers.first(name: "content-length").flatMap(Int.init)
            let hasBody = (declared ?? 0) > 0 || head.headers.contains(name: "transfer-encoding")
            let stream =
                hasBody
                ? bodyStream(HTTPRequest(method: head.method.rawValue, target: head.uri, headers: headers, body: ByteBuffer()))
                : nil
            if let declared, declared > stream?.maxBodySize ?? limits.maxBodySize {
                stream?.cancel()
                return reject(index, 413, "request body too large")
            }
            if let stream {
                reading = .streaming(index: index, stream: stream, received: 0)
            } else {
                reading = .body(index: index, head: head, headers: headers, body: ByteBuffer())
            }
            return expectsContinue ? .sendContinue : .none
        case (.body(let chunk), .streaming(let index, let stream, let received)):
            if chunk.readableBytes > stream.maxBodySize - received {
                stream.cancel()
                return reject(index, 413, "request body too large")
            }
            reading = .streaming(index: index, stream: stream, received: received + chunk.readableBytes)
            if let response = chunk.withUnsafeReadableBytes({ stream.receive($0) }) {
                meta[index]?.keepAlive = false
                reading = .discarding
                return .respond(index: index, response: response)
            }
            return .none
        case (.end, .streaming(let index, let stream, _)):
            reading = .idle
            return .finish(index: index, stream: stream)
        case (.body(let chunk), .body(let index, let head, let headers, var body)):
            if body.readableBytes + chunk.readableBytes > limits.maxBodySize {
                return reject(index, 413, "request body too large")
            }
            reading = .discarding  // drops the enum's reference so `body` appends in place
            if body.readableBytes == 0 {
                body = chunk
            } else {
                var chunk = chunk
                body.writeBuffer(&chunk)
            }
            reading = .body(index: index, head: head, headers: headers, body: body)
            return .none
        case (.end, .body(let index, let head, let headers, let body)):
            reading = .idle
            return .dispatch(
                index: index,
                request: HTTPRequest(method: head.method.rawValue, target: head.uri, headers: headers, body: body))
        default:
            return .none  // discarding, or parts out of order (the decoder never sends those)
        }
    }

    /// The decoder failed: returns the sequence number the error response takes, or nil when the
    /// connection is already discarding input.
    mutating func failParsing() -> Int? {
        if case .discarding = reading { return nil }
        let index: Int
        if case .body(let current, _, _, _) = reading {
            index = current
        } else if case .streaming(let current, let stream, _) = reading {
            stream.cancel()
            index = current
        } else {
            index = nextRequest
            nextRequest += 1
        }
        meta[index] = Meta(version: .http1_1, keepAlive: false)
        reading = .discarding
        return index
    }

    /// Records the response for request `index`; returns the responses now due, in order. After
    /// one with `closeAfter`, nothing more is returned.
    mutating func complete(index: Int, response: HTTPResponse) -> [ReadyResponse] {
        parked[index] = response
        var ready: [ReadyResponse] = []
        while let response = parked.removeValue(forKey: nextResponse) {
            let facts = meta.removeValue(forKey: nextResponse) ?? Meta(version: .http1_1, keepAlive: false)
            nextResponse += 1
            var lastInFlight = false
            if case .idle = reading, nextResponse == nextRequest { lastInFlight = true }
            let closeAfter = !facts.keepAlive || (isClosing && lastInFlight)
            ready.append(ReadyResponse(response: response, version: facts.version, closeAfter: closeAfter))
            if closeAfter { break }
        }
        return ready
    }

    /// Rejects request `index`: it will be answered and the connection closed.
    private mutating func reject(_ index: Int, _ status: Int, _ reason: String) -> Action {
        meta[index]?.keepAlive = false
        reading = .discarding
        return .reject(index: index, status: status, reason: reason)
    }
}
