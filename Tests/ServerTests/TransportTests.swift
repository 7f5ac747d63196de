import Foundation
import Server
import Testing

/// End-to-end transport tests: the real server on 127.0.0.1, real clients (curl, nghttp, h2load).
@Suite("Transport", .serialized, .timeLimit(.minutes(2)))
struct TransportTests {
    @Test("HTTP/2 prior knowledge: GET and POST echo method, path, query, headers and body")
    func http2GetAndPost() async throws {
        let (server, port) = try await TransportHarness.startServer()
        let get = try await TransportHarness.run([
            "curl", "-sS", "--http2-prior-knowledge", "-H", "X-Test: abc", "-w", "\n%{http_version} %{http_code}",
            "http://127.0.0.1:\(port)/echo?q=1",
        ])
        #expect(get.status == 0, "\(get.stderr)")
        #expect(get.stdout.contains("GET /echo q=1"))
        #expect(get.stdout.contains("x-test: abc"))
        #expect(get.stdout.hasSuffix("2 200"))

        let post = try await TransportHarness.run([
            "curl", "-sS", "--http2-prior-knowledge", "--data-binary", "hello body", "-w",
            "\n%{http_version} %{http_code}",
            "http://127.0.0.1:\(port)/submit",
        ])
        #expect(post.status == 0, "\(post.stderr)")
        #expect(post.stdout.contains("POST /submit -"))
        #expect(post.stdout.contains("body-length: 10\nhello body"))
        #expect(post.stdout.hasSuffix("2 200"))
        try await server.shutdownGracefully()
    }

    @Test("HTTP/1.1 keep-alive: two URLs in one curl use one connection")
    func http1KeepAlive() async throws {
        let (server, port) = try await TransportHarness.startServer()
        let out = try await TransportHarness.run([
            "curl", "-sS", "-H", "X-Test: one", "-w", "\n%{http_version} %{http_code} %{num_connects}\n",
            "http://127.0.0.1:\(port)/a?x=1", "http://127.0.0.1:\(port)/b",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("GET /a x=1"))
        #expect(out.stdout.contains("GET /b -"))
        #expect(out.stdout.contains("x-test: one"))
        #expect(out.stdout.contains("1.1 200 1\n"))
        #expect(out.stdout.contains("1.1 200 0\n"), "second request must reuse the connection")
        try await server.shutdownGracefully()
    }

    @Test("nghttp -n -v gets a 200 over HTTP/2")
    func nghttpVerbose() async throws {
        let (server, port) = try await TransportHarness.startServer()
        let out = try await TransportHarness.run(["nghttp", "-n", "-v", "http://127.0.0.1:\(port)/fixed"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains(":status: 200"))
        #expect(out.stdout.contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):256"))
        #expect(out.stdout.contains("SETTINGS_MAX_HEADER_LIST_SIZE(0x06):16384"))
        try await server.shutdownGracefully()
    }

    @Test("h2load -n 1000 -c 4 -m 100: every response is 2xx")
    func h2loadMany() async throws {
        let (server, port) = try await TransportHarness.startServer()
        let out = try await TransportHarness.run([
            "h2load", "-n", "1000", "-c", "4", "-m", "100", "http://127.0.0.1:\(port)/fixed",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(TransportHarness.h2loadSuccesses(out.stdout) == 1000, "\(out.stdout)")
        try await server.shutdownGracefully()
    }

    @Test("100 concurrent streams on one connection")
    func hundredStreams() async throws {
        let (server, port) = try await TransportHarness.startServer()
        let out = try await TransportHarness.run([
            "h2load", "-n", "100", "-c", "1", "-m", "100", "http://127.0.0.1:\(port)/fixed",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(TransportHarness.h2loadSuccesses(out.stdout) == 100, "\(out.stdout)")
        try await server.shutdownGracefully()
    }

    @Test("A 4 MiB response crosses the 64 KiB default client window (flow control)")
    func largeResponse() async throws {
        let (server, port) = try await TransportHarness.startServer()
        let h2 = try await TransportHarness.run([
            "curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
            "http://127.0.0.1:\(port)/big",
        ])
        #expect(h2.stdout == "200 4194304", "\(h2.stderr)")
        let h1 = try await TransportHarness.run([
            "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "http://127.0.0.1:\(port)/big",
        ])
        #expect(h1.stdout == "200 4194304", "\(h1.stderr)")
        try await server.shutdownGracefully()
    }

    @Test("Oversized body: 413 on both protocols; the HTTP/2 connection survives")
    func oversizedBody() async throws {
        let (server, port) = try await TransportHarness.startServer { $0.maxRequestBodySize = 64 * 1024 }
        let file = try TransportHarness.payloadFile(count: 200 * 1024)
        defer { try? FileManager.default.removeItem(atPath: file) }
        // nghttp: both streams on one connection get 413 (each then RST_STREAM(NO_ERROR), RFC 9113 §8.1).
        let nghttp = try await TransportHarness.run([
            "nghttp", "-v", "-d", file, "http://127.0.0.1:\(port)/upload", "http://127.0.0.1:\(port)/upload2",
        ])
        #expect(nghttp.status == 0, "\(nghttp.stderr)")
        #expect(nghttp.stdout.components(separatedBy: ":status: 413").count == 3, "\(nghttp.stdout)")
        #expect(nghttp.stdout.contains("RST_STREAM"))
        // h2load on a single connection: three 413s in a row, so the connection survived each.
        let load = try await TransportHarness.run([
            "h2load", "-n", "3", "-c", "1", "-m", "1", "-d", file, "http://127.0.0.1:\(port)/upload",
        ])
        #expect(load.stdout.contains("status codes: 0 2xx, 0 3xx, 3 4xx, 0 5xx"), "\(load.stdout)")
        // h2load counts 4xx as failed.
        #expect(load.stdout.contains("3 done, 0 succeeded, 3 failed, 0 errored"), "\(load.stdout)")
        let h1 = try await TransportHarness.run([
            "curl", "-sS", "--data-binary", "@\(file)", "-o", "/dev/null", "-w", "%{http_code}",
            "http://127.0.0.1:\(port)/upload",
        ])
        #expect(h1.stdout == "413", "\(h1.stderr)")
        try await server.shutdownGracefully()
    }

    @Test("Oversized header list: 431 on both protocols")
    func oversizedHeaders() async throws {
        let (server, port) = try await TransportHarness.startServer { $0.maxHeaderListSize = 4096 }
        let big = String(repeating: "h", count: 6000)
        let h1 = try await TransportHarness.run([
            "curl", "-sS", "-H", "x-big: \(big)", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/h",
        ])
        #expect(h1.stdout == "431", "\(h1.stderr)")
        let h2 = try await TransportHarness.run([
            "curl", "-sS", "--http2-prior-knowledge", "-H", "x-big: \(big)", "-o", "/dev/null", "-w", "%{http_code}",
            "http://127.0.0.1:\(port)/h",
        ])
        #expect(h2.stdout == "431", "\(h2.stderr)")
        try await server.shutdownGracefully()
    }

    @Test("Graceful shutdown: in-flight requests finish with 200, new connections are refused")
    func gracefulShutdown() async throws {
        let arrivals = SlowArrivals()
        let (server, port) = try await TransportHarness.startServer(arrivals: arrivals)
        async let h2 = TransportHarness.run([
            "curl", "-sS", "--http2-prior-knowledge", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/slow",
        ])
        async let h1 = TransportHarness.run([
            "curl", "-sS", "-i", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/slow",
        ])
        // Both requests are waiting on their deferred answers (1 s) once the handler has seen them.
        #expect(try await arrivals.wait(for: 2), "both /slow requests reached the handler")
        let started = ContinuousClock.now
        async let shutdown: Void = server.shutdownGracefully()
        // The listener closes first thing in shutdownGracefully; a connection attempt is refused once it has.
        let lateRequest = ["curl", "-sS", "--http2-prior-knowledge", "http://127.0.0.1:\(port)/fixed"]
        var late = try await TransportHarness.run(lateRequest)
        let refusedBy = ContinuousClock.now + .seconds(5)
        while late.status != 7, ContinuousClock.now < refusedBy { late = try await TransportHarness.run(lateRequest) }
        #expect(late.status == 7, "new connections must be refused: \(late.stderr)")
        let (h2Out, h1Out) = try await (h2, h1)
        #expect(h2Out.stdout == "slow done\n\n200", "\(h2Out.stderr)")
        #expect(h1Out.stdout.hasSuffix("slow done\n\n200"), "\(h1Out.stderr)")
        #expect(h1Out.stdout.lowercased().contains("connection: close"))
        try await shutdown
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("Garbage after the HTTP/2 preface: GOAWAY(PROTOCOL_ERROR), then close; the server keeps serving")
    func malformedFrames() async throws {
        let (server, port) = try await TransportHarness.startServer()
        // A valid preface, then an unknown frame type where SETTINGS must come (RFC 9113 §3.4), then junk.
        let preface = "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"
        let bytes = preface + "\\x00\\x00\\x04\\xff\\xff\\x00\\x00\\x00\\x00garbagegarbage"
        let garbage = try await TransportProbe.run("bad-start", port: port, ["--bytes", bytes])
        #expect(garbage.bool("pass") == true, "\(garbage)")
        let bad1 = try await TransportHarness.run([
            "bash", "-c",
            "printf 'NOT HTTP AT ALL\\r\\n\\r\\n' | curl -sS --max-time 5 telnet://127.0.0.1:\(port) | head -1",
        ])
        #expect(bad1.stdout.hasPrefix("HTTP/1.1 400"), "\(bad1.stdout) \(bad1.stderr)")
        let after = try await TransportHarness.run([
            "curl", "-sS", "--http2-prior-knowledge", "-w", "%{http_code}", "-o", "/dev/null",
            "http://127.0.0.1:\(port)/fixed",
        ])
        #expect(after.stdout == "200")
        try await server.shutdownGracefully()
    }
}
