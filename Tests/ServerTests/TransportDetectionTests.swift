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

    /// Feeds HEADERS frames on `ids` (none of them open) in order and returns each verdict.
    static func headers(_ ids: [Int32], into streams: inout ClientStreamIDs) -> [ClientStreamIDs.Verdict] {
        ids.map { streams.headers($0) }
    }

    @Test("New stream ids must increase; skipping is fine; going back to a skipped id is not")
    func streamOrder() {
        var streams = ClientStreamIDs()
        // 1, then 7 (skipping 3 and 5), 1 again (closed), 3 and 5 (never opened: below a used id).
        #expect(
            Self.headers([1, 7, 1, 3, 5, 9], into: &streams) == [
                .accept, .accept, .streamClosed, .protocolError, .protocolError, .accept,
            ])
        // DATA on a closed stream, or on a skipped one (closed implicitly), is STREAM_CLOSED; on an idle one
        // it is nghttp2's to reject.
        #expect(
            [1, 3, 7, 9, 11].map { streams.data($0) } == [
                .streamClosed, .streamClosed, .streamClosed, .streamClosed, .accept,
            ])
    }

    @Test("Frames the client had in flight when the server reset a stream are ignored")
    func serverReset() {
        var streams = ClientStreamIDs()
        #expect(Self.headers([1, 3], into: &streams) == [.accept, .accept])
        streams.serverReset(1)
        #expect(streams.data(1) == .accept)
        #expect(streams.headers(1) == .accept, "trailers after our RST_STREAM")
        #expect(streams.data(3) == .streamClosed)
        #expect(Self.headers([5], into: &streams) == [.accept])
        #expect(streams.data(1) == .accept, "the mark moves with the window")
    }

    @Test("The window of remembered ids slides without trapping, up to the largest stream id")
    func streamWindow() {
        var streams = ClientStreamIDs()
        // 131 is 65 streams after 1, so 1 left the window (left to nghttp2); 129 was never opened.
        #expect(Self.headers([1, 131, 1, 129], into: &streams) == [.accept, .accept, .accept, .protocolError])
        #expect(streams.data(1) == .accept)
        var far = ClientStreamIDs()
        #expect(
            Self.headers([1, Int32.max, Int32.max, Int32.max - 2], into: &far) == [
                .accept, .accept, .streamClosed, .protocolError,
            ])
        // Even ids, 0 and negative ones are nghttp2's to reject.
        var odd = ClientStreamIDs()
        #expect(Self.headers([5, 2, 0, -1], into: &odd) == [.accept, .accept, .accept, .accept])
        #expect([2, 0, -1, Int32.min].map { odd.data($0) } == [.accept, .accept, .accept, .accept])
    }

    /// The DATA frames `scanner` finds when `bytes` arrive in chunks of `chunk` bytes: (stream id, header end
    /// offset in the whole stream).
    static func dataFrames(in bytes: [UInt8], chunk: Int) -> [(Int32, Int)] {
        var scanner = InboundFrameScanner()
        var found: [(Int32, Int)] = []
        var base = 0
        while base < bytes.count {
            let piece = Array(bytes[base..<min(bytes.count, base + chunk)])
            piece.withUnsafeBytes { raw in
                var offset = 0
                while let frame = scanner.nextDataFrame(in: raw, from: offset) {
                    found.append((frame.streamID, base + frame.end))
                    offset = frame.end
                }
            }
            base += chunk
        }
        return found
    }

    @Test("The frame scanner finds DATA headers however the bytes are split", arguments: [1, 2, 7, 9, 1000])
    func scanner(chunk: Int) {
        let settings: [UInt8] = [0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100]
        let data3: [UInt8] = [0, 0, 2, 0, 1, 0, 0, 0, 3, 0xAA, 0xBB]
        let ping: [UInt8] = [0, 0, 8, 6, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        let data5: [UInt8] = [0, 0, 0, 0, 1, 0x80, 0, 0, 5]  // reserved bit set, empty payload
        let bytes = Self.preface + settings + data3 + ping + data5
        let found = Self.dataFrames(in: bytes, chunk: chunk)
        let firstEnd = Self.preface.count + settings.count + 9
        let secondEnd = bytes.count
        #expect(found.map(\.0) == [3, 5])
        #expect(found.map(\.1) == [firstEnd, secondEnd])
    }
}
