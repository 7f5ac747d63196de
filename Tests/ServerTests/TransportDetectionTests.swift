import Testing

@testable import NGHTTP2
@testable import Server

/// The first bytes of a connection, and the client stream ids RFC 9113 §5.1.1 allows.
@Suite("Protocol detection and stream id order")
struct TransportDetectionTests {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    @Test("Prefixes of the preface wait; the preface is HTTP/2; other methods are HTTP/1.1")
    func classify() {
        #expect(ProtocolDetector.classify([UInt8]()) == .undecided)
        #expect(ProtocolDetector.classify(Self.preface.prefix(3)) == .undecided)
        #expect(ProtocolDetector.classify(Self.preface.prefix(23)) == .undecided)
        #expect(ProtocolDetector.classify(Self.preface) == .http2)
        #expect(ProtocolDetector.classify(Self.preface + [0, 0, 0]) == .http2)
        #expect(ProtocolDetector.classify(Array("GET / HTTP/1.1\r\n".utf8)) == .http1)
        #expect(ProtocolDetector.classify(Array("PRIX".utf8)) == .http1)
        #expect(ProtocolDetector.classify(Array("PRI * HTTP/1.1\r\n".utf8)) == .http1)
    }

    @Test("Bytes that said PRI * HTTP/2.0 and then go wrong are HTTP/2 (nghttp2 answers GOAWAY)")
    func committedToHTTP2() {
        #expect(ProtocolDetector.classify(Array("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".utf8)) == .http2)
        #expect(ProtocolDetector.classify(Array("PRI * HTTP/2.0 nonsense".utf8)) == .http2)
        #expect(ProtocolDetector.classify(Array(Self.preface.dropLast()) + [UInt8(ascii: "X")]) == .http2)
    }

    /// Admits `ids` in order and returns each answer.
    static func admit(_ ids: [Int32]) -> [Bool] {
        var seen = ClientStreamIDs()
        return ids.map { seen.admit($0) }
    }

    @Test("New stream ids must increase; skipping is fine; going back to a skipped id is not")
    func streamOrder() {
        // 1, then 7 (skipping 3 and 5), 1 again (closed: nghttp2 answers STREAM_CLOSED), 3 and 5 (never opened).
        #expect(Self.admit([1, 7, 1, 7, 3, 5, 9, 7, 5]) == [true, true, true, true, false, false, true, true, false])
    }

    @Test("The window of remembered ids slides without trapping, up to the largest stream id")
    func streamWindow() {
        // 131 is 65 streams after 1, so 1 left the window (left to nghttp2); 129 was never opened.
        #expect(Self.admit([1, 131, 1, 129]) == [true, true, true, false])
        #expect(Self.admit([1, Int32.max, Int32.max, Int32.max - 2]) == [true, true, true, false])
        // Even ids, 0 and negative ones are nghttp2's to reject.
        #expect(Self.admit([5, 2, 0, -1]) == [true, true, true, true])
    }
}
