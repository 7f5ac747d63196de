import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded
import Prometheus
@testable import Server

/// HTTP/1.1 and HTTP/2 server input: bytes into the connection pipeline the server builds
/// (`IdleStateHandler` → `ProtocolDetector` → the HTTP/1.1 or HTTP/2 handler) on an `EmbeddedChannel`,
/// with an echo request handler.
///
/// Input: a control byte, then `n - 1` split weights, then the byte stream.
/// - bits 0-2: the stream arrives in `n = 1 + (bits & 7)` reads, sized by the weights;
/// - bit 3: a graceful shutdown (GOAWAY / `connection: close`) starts after the first read;
/// - bit 4: the handler answers through a future (deferred) instead of immediately.
/// After the last read the clock moves past the idle timeout and the channel is closed.
/// Oracle: no crash, no sanitizer report.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let control = data[0]
    let reads = 1 + Int(control & 7)
    let weightCount = min(reads - 1, size - 1)
    let weights = (0..<weightCount).map { Int(data[1 + $0]) + 1 }
    let stream = UnsafeBufferPointer(start: data + 1 + weightCount, count: size - 1 - weightCount)

    let channel = EmbeddedChannel()
    let configuration = HTTPTarget.configuration
    let loop = LoopContext(
        handler: EchoHandler(eventLoop: channel.embeddedEventLoop, deferred: control & 0x10 != 0),
        configuration: configuration, logger: HTTPTarget.logger, eventLoop: channel.embeddedEventLoop,
        metrics: HTTPTarget.metrics)
    do {
        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: configuration.idleTimeout))
        try channel.pipeline.syncOperations.addHandler(ProtocolDetector(loop: loop))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    } catch {
        FuzzInput.fail("cannot build the pipeline: \(error)")
    }

    var offset = 0
    let total = weights.reduce(0, +) + 1
    for i in 0..<(weightCount + 1) {
        let length = i == weightCount ? stream.count - offset : stream.count * weights[i] / total
        var buffer = channel.allocator.buffer(capacity: length)
        buffer.writeBytes(UnsafeBufferPointer(rebasing: stream[offset..<(offset + length)]))
        offset += length
        guard channel.isActive else { break }
        do {
            try channel.writeInbound(buffer)
        } catch {
            break  // the pipeline closed the connection or reported an error: both are answers
        }
        channel.embeddedEventLoop.run()
        drain(channel)
        if i == 0, control & 0x08 != 0 { _ = loop.beginShutdown() }
    }
    channel.embeddedEventLoop.advanceTime(by: .seconds(120))
    drain(channel)
    _ = try? channel.finish(acceptAlreadyClosed: true)
    return 0
}

/// Reads and drops everything the server wrote.
func drain(_ channel: EmbeddedChannel) {
    while true {
        guard let out = try? channel.readOutbound(as: IOData.self) else {
            if (try? channel.readOutbound(as: ByteBuffer.self)) != nil { continue }
            return
        }
        _ = out
    }
}

/// Settings shared by every input.
enum HTTPTarget {
    /// Connection counters, into a registry nobody reads.
    static let metrics = ConnectionMetrics(registry: PrometheusCollectorRegistry())
    /// Small limits, so inputs reach them.
    static let configuration: HTTPServerConfiguration = {
        var c = HTTPServerConfiguration()
        c.maxConcurrentStreams = 8
        c.maxHeaderListSize = 4096
        c.maxRequestBodySize = 16 * 1024
        c.initialWindowSize = 65_535
        c.idleTimeout = .seconds(60)
        c.shutdownTimeout = .seconds(1)
        return c
    }()

    /// A logger that drops everything.
    static let logger = Logger(label: "fuzz-http", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// Echoes the request line, headers and body; `/big` answers 256 KiB (flow control, write buffering).
final class EchoHandler: HTTPRequestHandler {
    let eventLoop: any EventLoop
    let deferred: Bool

    init(eventLoop: any EventLoop, deferred: Bool) {
        self.eventLoop = eventLoop
        self.deferred = deferred
    }

    func handle(_ request: HTTPRequest) -> HTTPHandlerResult {
        var response: HTTPResponse
        if request.path == "/big" {
            response = HTTPResponse(body: ByteBuffer(repeating: UInt8(ascii: "x"), count: 256 * 1024))
        } else {
            var text = "\(request.method) \(request.path) \(request.query ?? "-")\n"
            for (name, value) in request.headers { text += "\(name): \(value)\n" }
            var body = ByteBuffer(string: text)
            var requestBody = request.body
            body.writeBuffer(&requestBody)
            response = HTTPResponse(status: 200, headers: [("content-type", "text/plain")], body: body)
        }
        if request.path == "/status" { response.status = Int(request.query ?? "") ?? 204 }
        return deferred ? .deferred(eventLoop.makeSucceededFuture(response)) : .immediate(response)
    }
}

/// The program entry SwiftPM links a debug executable with (see `runFuzzer`).
@_cdecl("FuzzHTTP_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
