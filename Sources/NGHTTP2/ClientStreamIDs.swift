/// What the server knows of the client's recent streams once they closed, so that frames on a
/// stream that is not open get the answer RFC 9113 §5.1 asks for. libnghttp2 answers these itself
/// only when it retains closed streams, which costs about 65 KiB per busy connection (up to 256
/// retained streams), so `ServerSession` runs without them and asks this instead.
///
/// Fixed size: the highest stream id and two bitmasks over the 64 streams up to it. Streams further
/// back are let through (nghttp2 then ignores their frames, as it would anyway).
struct ClientStreamIDs {
    /// What to do with a frame on a stream that is not open.
    enum Verdict: Equatable {
        /// Leave it to nghttp2 (a new stream, an idle one, one too far back, or one to ignore).
        case accept
        /// A stream the client closed (END_STREAM, or its own RST_STREAM) or skipped: connection
        /// error STREAM_CLOSED.
        case streamClosed
        /// A new stream numbered below one already used (§5.1.1): connection error PROTOCOL_ERROR.
        case protocolError
    }

    /// The highest client stream id seen, 0 before the first.
    private(set) var highest: Int32 = 0
    /// Bit d set: stream `highest - 2d` was opened.
    private var opened: UInt64 = 0
    /// Bit d set: the server reset stream `highest - 2d`, so frames the client had in flight are
    /// ignored (RFC 9113 §5.1, "closed").
    private var resetByServer: UInt64 = 0

    /// No stream seen yet.
    init() {}

    /// The bit of `streamID` in the masks, or nil when it is not a client stream at or below `highest`
    /// within the window.
    private func bit(_ streamID: Int32) -> UInt64? {
        guard streamID > 0, streamID & 1 == 1, streamID <= highest else { return nil }
        let distance = (highest - streamID) / 2
        return distance < 64 ? UInt64(1) << distance : nil
    }

    /// A HEADERS frame on `streamID`, which is not an open stream.
    mutating func headers(_ streamID: Int32) -> Verdict {
        // Stream 0 and server-initiated (even) ids are rejected by nghttp2 itself.
        guard streamID > 0, streamID & 1 == 1 else { return .accept }
        if streamID > highest {
            // Smart shifts: a jump of 64 streams or more leaves nothing of the old window.
            let shift = (streamID - highest) / 2
            opened = (opened << shift) | 1
            resetByServer <<= shift
            highest = streamID
            return .accept
        }
        guard let bit = bit(streamID) else { return .accept }
        if opened & bit == 0 { return .protocolError }
        return resetByServer & bit != 0 ? .accept : .streamClosed
    }

    /// A DATA frame on `streamID`, which is not an open stream.
    func data(_ streamID: Int32) -> Verdict {
        guard let bit = bit(streamID) else { return .accept }  // idle streams are nghttp2's PROTOCOL_ERROR
        // A skipped id was closed implicitly by the first higher one (§5.1.1).
        return resetByServer & bit != 0 ? .accept : .streamClosed
    }

    /// The server sent RST_STREAM on `streamID`.
    mutating func serverReset(_ streamID: Int32) {
        if let bit = bit(streamID) { resetByServer |= bit }
    }
}
