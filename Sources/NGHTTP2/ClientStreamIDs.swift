/// The request stream ids a client has used, enough to tell a stream it closed from one it skipped:
/// RFC 9113 §5.1.1 lets a client skip ids but never go back to one (a connection error,
/// PROTOCOL_ERROR). libnghttp2 ignores such a stream instead, so `ServerSession` checks it here.
///
/// Fixed size (two integers): ids more than 64 streams below the highest cannot be told apart
/// from closed ones and are left to nghttp2 (which answers STREAM_CLOSED for the closed streams it
/// still retains and ignores the rest).
struct ClientStreamIDs {
    /// The highest client stream id seen, 0 before the first.
    private(set) var highest: Int32 = 0
    /// Bit i set: stream `highest - 2 * (i + 1)` was opened.
    private var openedBelow: UInt64 = 0

    /// No stream seen yet.
    init() {}

    /// Records a HEADERS frame on `streamID`, which is not an open stream. Returns false when the
    /// frame would open a new stream numbered below one already used: a protocol error.
    mutating func admit(_ streamID: Int32) -> Bool {
        // Stream 0 and server-initiated (even) ids are rejected by nghttp2 itself.
        guard streamID > 0, streamID & 1 == 1 else { return true }
        if streamID > highest {
            // Smart shifts: a distance of 64 streams or more leaves nothing of the old window.
            let shift = (streamID - highest) / 2
            openedBelow = highest == 0 ? 0 : (openedBelow << shift) | (UInt64(1) << (shift - 1))
            highest = streamID
            return true
        }
        if streamID == highest { return true }  // it was opened, and is closed now
        let distance = (highest - streamID) / 2
        guard distance <= 64 else { return true }
        return openedBelow & (UInt64(1) << (distance - 1)) != 0
    }
}
