/// HTTP/2 error codes carried by RST_STREAM and GOAWAY (RFC 9113 §7).
public enum HTTP2ErrorCode {
    /// NO_ERROR: graceful, not an error.
    public static let noError: UInt32 = 0x0
    /// PROTOCOL_ERROR.
    public static let protocolError: UInt32 = 0x1
    /// INTERNAL_ERROR.
    public static let internalError: UInt32 = 0x2
    /// STREAM_CLOSED: a frame on a closed stream.
    public static let streamClosed: UInt32 = 0x5
    /// REFUSED_STREAM: not processed, safe to retry.
    public static let refusedStream: UInt32 = 0x7
    /// CANCEL: no longer needed.
    public static let cancel: UInt32 = 0x8
    /// ENHANCE_YOUR_CALM: the peer is generating excessive load.
    public static let enhanceYourCalm: UInt32 = 0xb
}
