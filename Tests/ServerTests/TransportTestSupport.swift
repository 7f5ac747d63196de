import Foundation
import Logging
import NIOCore
import Prometheus
import Server
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How many `/slow` requests a server's handlers have received, so a test can wait for them.
final class SlowArrivals: Sendable {
    private let count = Mutex(0)

    /// One more arrived.
    func arrived() { count.withLock { $0 += 1 } }

    /// Waits (polling, up to `timeout`) until at least `n` have arrived; false when they did not.
    func wait(for n: Int, timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while count.withLock({ $0 }) < n {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}

/// The test request handler: echoes requests, answers `/slow` after a delay (deferred), and
/// `/fixed` with 1 KiB.
final class TransportEchoHandler: HTTPRequestHandler {
    /// The loop this instance serves.
    let eventLoop: any EventLoop
    /// Delay before `/slow` answers.
    let slowDelay: TimeAmount
    /// Told of every `/slow` request.
    let arrivals: SlowArrivals?

    /// A handler for `eventLoop`.
    init(eventLoop: any EventLoop, slowDelay: TimeAmount = .seconds(1), arrivals: SlowArrivals? = nil) {
        self.eventLoop = eventLoop
        self.slowDelay = slowDelay
        self.arrivals = arrivals
    }

    /// 1 KiB of hex digits.
    static let fixedBody = String(repeating: "0123456789abcdef", count: 64)

    func handle(_ request: HTTPRequest) -> HTTPHandlerResult {
        switch request.path {
        case "/fixed":
            return .immediate(
                HTTPResponse(
                    status: 200, headers: [("content-type", "text/plain")], body: ByteBuffer(string: Self.fixedBody)))
        case "/slow":
            arrivals?.arrived()
            let response = HTTPResponse(status: 200, body: ByteBuffer(string: "slow done\n"))
            return .deferred(eventLoop.scheduleTask(in: slowDelay) { response }.futureResult)
        case "/big":
            return .immediate(HTTPResponse(body: ByteBuffer(repeating: UInt8(ascii: "x"), count: 4 << 20)))
        default:
            var text = "\(request.method) \(request.path) \(request.query ?? "-")\n"
            for (name, value) in request.headers { text += "\(name): \(value)\n" }
            text += "body-length: \(request.body.readableBytes)\n"
            var body = ByteBuffer(string: text)
            var requestBody = request.body
            body.writeBuffer(&requestBody)
            return .immediate(HTTPResponse(status: 200, headers: [("x-echo-method", request.method)], body: body))
        }
    }
}

/// Starts servers and runs client processes for the transport tests.
enum TransportHarness {
    /// A started server on 127.0.0.1 with an ephemeral port, two loops, `TransportEchoHandler`s.
    static func startServer(
        metrics: ConnectionMetrics = ConnectionMetrics(registry: PrometheusCollectorRegistry()),
        arrivals: SlowArrivals? = nil, _ adjust: (inout HTTPServerConfiguration) -> Void = { _ in }
    ) async throws -> (HTTPServer, Int) {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.eventLoopThreads = 2
        adjust(&configuration)
        var logger = Logger(label: "transport-test")
        logger.logLevel = ProcessInfo.processInfo.environment["TRANSPORT_DEBUG"] == nil ? .info : .debug
        let server = HTTPServer(configuration: configuration, logger: logger, metrics: metrics) {
            TransportEchoHandler(eventLoop: $0, arrivals: arrivals)
        }
        let port = try await server.start()
        return (server, port)
    }

    /// The outcome of a client process.
    struct Output {
        /// Exit status (-1 when it was killed on timeout).
        var status: Int32
        /// Standard output.
        var stdout: String
        /// Standard error.
        var stderr: String
    }

    /// Runs `arguments` (first is the tool, found on PATH) with a time limit; output goes
    /// through files so a chatty client cannot block on a full pipe.
    static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> Output {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("transport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out")
        let errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        var killed = false
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)  // an inherited ignored SIGTERM must not keep it alive
                killed = true
                process.waitUntilExit()
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.waitUntilExit()
        return Output(
            status: killed ? -1 : process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Writes `count` bytes to a temporary file and returns its path.
    static func payloadFile(count: Int) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("transport-body-\(UUID().uuidString)")
        try Data(repeating: UInt8(ascii: "a"), count: count).write(to: url)
        return url.path
    }

    /// The N in h2load's "status codes: N 2xx, ..." line, or nil.
    static func h2loadSuccesses(_ output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("status codes:") }),
            let range = line.range(of: #"(\d+) 2xx"#, options: .regularExpression)
        else { return nil }
        return Int(line[range].split(separator: " ")[0])
    }
}
