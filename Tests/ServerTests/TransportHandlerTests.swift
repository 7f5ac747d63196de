import Logging
import NGHTTP2
import NIOCore
import NIOEmbedded
import Prometheus
import Testing

@testable import Server

/// `HTTP2ConnectionHandler` without sockets: an `EmbeddedChannel` on one side, an in-memory
/// nghttp2 client (`ClientSession`) on the other, bytes pumped between them. Timers run on the
/// embedded loop's virtual clock.
@Suite("HTTP/2 handler over EmbeddedChannel")
struct TransportHandlerTests {
    /// A server handler in an embedded channel, and a client talking to it.
    final class Connection {
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel
        let client: ClientSession

        init(_ adjust: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
            var configuration = HTTPServerConfiguration()
            adjust(&configuration)
            channel = EmbeddedChannel(loop: loop)
            let context = LoopContext(
                handler: TransportEchoHandler(eventLoop: loop), configuration: configuration,
                logger: Logger(label: "handler-test"), eventLoop: loop,
                metrics: ConnectionMetrics(registry: PrometheusCollectorRegistry()))
            let deadline = loop.now + configuration.handshakeTimeout
            try channel.pipeline.syncOperations.addHandler(
                HTTP2ConnectionHandler(loop: context, handshakeDeadline: deadline))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            client = try ClientSession(settings: [(id: 4, value: 1 << 30)])  // INITIAL_WINDOW_SIZE
        }

        /// Moves bytes both ways until neither side has anything to say.
        func pump() throws {
            for _ in 0..<100 {
                var moved = false
                let outbound = try client.send()
                if !outbound.isEmpty, channel.isActive {
                    try channel.writeInbound(ByteBuffer(bytes: outbound))
                    moved = true
                }
                while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
                    try client.receive(Array(buffer.readableBytesView))
                    moved = true
                }
                if !moved { return }
            }
            Issue.record("the connection did not settle in 100 rounds")
        }

        /// Advances the virtual clock, then pumps.
        func advance(by amount: TimeAmount) throws {
            loop.advanceTime(by: amount)
            try pump()
        }

        /// Tears the channel down (every test ends with it).
        func finish() throws {
            _ = try channel.finish(acceptAlreadyClosed: true)
            try loop.syncShutdownGracefully()
        }
    }

    @Test("GET: 200 with the body, through the state machine and nghttp2")
    func get() throws {
        let connection = try Connection()
        let stream = try connection.client.submitRequest(path: "/fixed")
        try connection.pump()
        let response = try #require(connection.client.streams[stream])
        #expect(response.status == 200)
        #expect(response.isComplete)
        #expect(String(decoding: response.body, as: UTF8.self) == TransportEchoHandler.fixedBody)
        #expect(connection.channel.isActive)
        try connection.finish()
    }

    @Test("POST: the body arrives in DATA frames and is echoed")
    func post() throws {
        let connection = try Connection()
        let body = Array(repeating: UInt8(ascii: "z"), count: 40_000)
        let stream = try connection.client.submitRequest(
            method: "POST", path: "/echo", headers: [("content-length", "40000")], body: body)
        try connection.pump()
        let response = try #require(connection.client.streams[stream])
        #expect(response.status == 200)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.hasPrefix("POST /echo -\n"))
        #expect(text.contains("body-length: 40000\n"))
        try connection.finish()
    }

    @Test("413 for a body over the limit, then RST_STREAM(NO_ERROR); the connection serves on")
    func oversizedBody() throws {
        let connection = try Connection { $0.maxRequestBodySize = 1000 }
        let big = try connection.client.submitRequest(
            method: "POST", path: "/echo", body: Array(repeating: 1, count: 5000))
        try connection.pump()
        #expect(connection.client.streams[big]?.status == 413)
        let next = try connection.client.submitRequest(path: "/fixed")
        try connection.pump()
        #expect(connection.client.streams[next]?.status == 200)
        try connection.finish()
    }

    @Test("Handshake timeout: a connection that never sends a request gets GOAWAY and is closed")
    func handshakeTimeout() throws {
        let connection = try Connection { $0.handshakeTimeout = .seconds(10) }
        try connection.pump()  // preface and SETTINGS both ways, no request
        try connection.advance(by: .seconds(9))
        #expect(connection.channel.isActive)
        try connection.advance(by: .seconds(2))
        #expect(connection.client.goawayErrorCode == HTTP2ErrorCode.noError)
        #expect(!connection.channel.isActive)
        try connection.finish()
    }

    @Test("Handshake timeout: does not touch a connection whose first request arrived")
    func handshakeTimeoutAfterRequest() throws {
        let connection = try Connection { $0.handshakeTimeout = .seconds(10) }
        _ = try connection.client.submitRequest(path: "/fixed")
        try connection.pump()
        try connection.advance(by: .seconds(20))
        #expect(connection.client.goawayErrorCode == nil)
        #expect(connection.channel.isActive)
        try connection.finish()
    }

    @Test("Idle timeout: GOAWAY once no request is in flight, not while one is")
    func idleTimeout() throws {
        let connection = try Connection()
        let slow = try connection.client.submitRequest(path: "/slow")
        try connection.pump()
        connection.channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
        try connection.pump()
        #expect(connection.client.goawayErrorCode == nil, "a request is in flight")
        try connection.advance(by: .seconds(1))  // `/slow` answers after 1 s
        #expect(connection.client.streams[slow]?.status == 200)
        connection.channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
        try connection.pump()
        #expect(connection.client.goawayErrorCode == HTTP2ErrorCode.noError)
        #expect(!connection.channel.isActive)
        try connection.finish()
    }

    @Test("Graceful shutdown: GOAWAY, the request in flight completes, then the connection closes")
    func gracefulShutdown() throws {
        let connection = try Connection()
        let slow = try connection.client.submitRequest(path: "/slow")
        try connection.pump()
        let handler = try connection.channel.pipeline.syncOperations.handler(type: HTTP2ConnectionHandler.self)
        handler.initiateGracefulShutdown()
        try connection.pump()
        #expect(connection.client.goawayErrorCode == HTTP2ErrorCode.noError)
        #expect(connection.channel.isActive, "the request in flight is not abandoned")
        try connection.advance(by: .seconds(1))
        #expect(connection.client.streams[slow]?.status == 200)
        #expect(connection.client.streams[slow].map { String(decoding: $0.body, as: UTF8.self) } == "slow done\n")
        #expect(!connection.channel.isActive)
        try connection.finish()
    }

    @Test("A client reset frees its stream; the connection serves on")
    func clientReset() throws {
        let connection = try Connection()
        let slow = try connection.client.submitRequest(path: "/slow")
        try connection.pump()
        connection.client.resetStream(slow)
        try connection.pump()
        try connection.advance(by: .seconds(1))  // the deferred answer finds its stream gone
        #expect(connection.client.streams[slow]?.status == nil)
        let next = try connection.client.submitRequest(path: "/fixed")
        try connection.pump()
        #expect(connection.client.streams[next]?.status == 200)
        try connection.finish()
    }
}
