/// Follows the client's byte stream frame by frame (preface, then 9-byte headers and payloads),
/// to stop at each DATA frame header before nghttp2 reads it. libnghttp2 silently drops DATA on a
/// stream it no longer knows, with no callback, so `ServerSession` checks such frames here.
/// Constant work per frame: only headers are read; payloads are skipped by length.
struct InboundFrameScanner {
    /// A DATA frame header found in a chunk.
    struct DataFrameHeader {
        /// Offset in the chunk where the header starts (0 when it began in an earlier chunk).
        var start: Int
        /// Offset in the chunk just after the header.
        var end: Int
        /// The frame's stream id.
        var streamID: Int32
    }

    /// Preface bytes still to pass (RFC 9113 §3.4); nghttp2 checks them.
    private var prefaceLeft = 24
    /// Payload bytes of the current frame still to pass.
    private var payloadLeft = 0
    /// The bytes of a frame header seen so far (when it spans chunks).
    private var header: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// How many bytes of `header` are filled.
    private var headerFilled = 0

    /// Nothing seen yet.
    init() {}

    /// Advances through `bytes` from `offset` and returns the next DATA frame header, or nil when
    /// the chunk ends first (the position is kept for the next chunk).
    mutating func nextDataFrame(in bytes: UnsafeRawBufferPointer, from offset: Int) -> DataFrameHeader? {
        var position = offset
        while position < bytes.count {
            if prefaceLeft > 0 {
                let n = min(prefaceLeft, bytes.count - position)
                prefaceLeft -= n
                position += n
                continue
            }
            if payloadLeft > 0 {
                let n = min(payloadLeft, bytes.count - position)
                payloadLeft -= n
                position += n
                continue
            }
            let start = position - headerFilled
            withUnsafeMutableBytes(of: &header) { stored in
                while headerFilled < 9, position < bytes.count {
                    stored[headerFilled] = bytes[position]
                    headerFilled += 1
                    position += 1
                }
            }
            guard headerFilled == 9 else { return nil }
            headerFilled = 0
            payloadLeft = Int(header.0) << 16 | Int(header.1) << 8 | Int(header.2)
            if header.3 == 0 {  // DATA
                let streamID =
                    Int32(header.5 & 0x7f) << 24 | Int32(header.6) << 16 | Int32(header.7) << 8
                    | Int32(header.8)
                return DataFrameHeader(start: max(0, start), end: position, streamID: streamID)
            }
        }
        return nil
    }
}
