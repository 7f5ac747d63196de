import Foundation
import Server
import Testing

/// RFC 9113 cases (the ones an independent conformance suite found Tessera failing while nghttpd,
/// on the same libnghttp2, passed), driven by `scripts/h2probe.py` over a real socket.
@Suite("Transport: HTTP/2 conformance", .serialized, .timeLimit(.minutes(2)))
struct TransportConformanceTests {
    /// One probe case and what it checks.
    struct Case: CustomTestStringConvertible, Sendable {
        /// The probe case name.
        var name: String
        /// Extra probe arguments.
        var arguments: [String] = []
        /// The RFC rule, as the test's name.
        var testDescription: String
    }

    static let cases: [Case] = [
        Case(name: "closed-data", testDescription: "§5.1 DATA on a closed stream: STREAM_CLOSED"),
        Case(name: "closed-headers", testDescription: "§5.1 HEADERS on a closed stream: STREAM_CLOSED"),
        Case(name: "reset-data", testDescription: "§5.1 DATA after the client's RST_STREAM: STREAM_CLOSED"),
        Case(name: "reset-headers", testDescription: "§5.1 HEADERS after the client's RST_STREAM: STREAM_CLOSED"),
        Case(
            name: "half-closed-data", arguments: ["--path", "/slow"],
            testDescription: "§5.1 DATA on a half-closed (remote) stream, response pending: STREAM_CLOSED"),
        Case(
            name: "half-closed-data", arguments: ["--path", "/fixed"],
            testDescription: "§5.1 DATA on a half-closed (remote) stream, same write as HEADERS: STREAM_CLOSED"),
        Case(name: "bad-start", testDescription: "§3.4 PRI * HTTP/2.0 with a wrong rest: GOAWAY(PROTOCOL_ERROR)"),
        Case(
            name: "bad-start", arguments: ["--bytes", "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\rX"],
            testDescription: "§3.4 preface wrong in its last byte: GOAWAY(PROTOCOL_ERROR)"),
        Case(
            name: "bad-start", arguments: ["--bytes", "PRI * HTTP/2.0 and then nonsense\\r\\n\\r\\n"],
            testDescription: "§3.4 PRI * HTTP/2.0 then nonsense: GOAWAY(PROTOCOL_ERROR)"),
        Case(
            name: "lower-stream-id", testDescription: "§5.1.1 HEADERS on a lower new stream id: GOAWAY(PROTOCOL_ERROR)"),
        Case(name: "skipped-ids", testDescription: "§5.1.1 skipping stream ids is allowed"),
        Case(name: "get", testDescription: "a plain GET is answered (the probe itself works)"),
    ]

    @Test(arguments: cases)
    func conformance(_ testCase: Case) async throws {
        let (server, port) = try await TransportHarness.startServer()
        let result = try await TransportProbe.run(testCase.name, port: port, testCase.arguments)
        #expect(result.bool("pass") == true, "\(result)")
        let after = try await TransportProbe.run("get", port: port)
        #expect(after.bool("pass") == true, "the server must keep serving: \(after)")
        try await server.shutdownGracefully()
    }
}
