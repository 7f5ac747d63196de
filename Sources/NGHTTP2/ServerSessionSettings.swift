/// The limits a `ServerSession` advertises in its SETTINGS frame and enforces, and the limits it
/// sets on nghttp2 itself (`nghttp2_option_*`) against a misbehaving peer.
public struct ServerSessionSettings: Sendable, Equatable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once; nghttp2 refuses
    /// the excess with RST_STREAM(REFUSED_STREAM). Default 256.
    public var maxConcurrentStreams: UInt32 = 256
    /// SETTINGS_MAX_HEADER_LIST_SIZE in bytes (name + value + 32 per field, RFC 9113 §6.5.2).
    /// A request over it is reported with `RequestHead.exceedsHeaderListSize`. Default 16 KiB.
    public var maxHeaderListSize: UInt32 = 16 * 1024
    /// SETTINGS_INITIAL_WINDOW_SIZE: per-stream receive window in bytes. Default 1 MiB, so a
    /// maximum-size request body needs no WINDOW_UPDATE round trip.
    public var initialWindowSize: UInt32 = 1 << 20
    /// The connection-level receive window in bytes. Default 4 MiB.
    public var connectionWindowSize: UInt32 = 4 << 20

    /// Entries accepted in one SETTINGS frame (`nghttp2_option_set_max_settings`); a frame with
    /// more ends the connection with GOAWAY(ENHANCE_YOUR_CALM). Default 32 (RFC 9113 defines 6).
    public var maxSettingsEntries = 32
    /// SETTINGS and PING acknowledgements nghttp2 may hold unsent (`nghttp2_option_set_max_outbound_ack`):
    /// a peer that floods SETTINGS or PING faster than it reads the answers is disconnected. Default 1000.
    public var maxOutboundAcks = 1000
    /// CONTINUATION frames accepted after one HEADERS (`nghttp2_option_set_max_continuations`); more
    /// ends the connection (the CONTINUATION flood, CVE-2024-27316 and relatives). Default 8: with
    /// 16 KiB frames that is 144 KiB, nine times `maxHeaderListSize`.
    public var maxContinuations = 8
    /// RST_STREAM frames a client may send in one burst (`nghttp2_option_set_stream_reset_rate_limit`,
    /// a token bucket); when they are used up the connection ends with GOAWAY. This is the rapid-reset
    /// mitigation (CVE-2023-44487). Default 1000.
    public var streamResetBurst: UInt64 = 1000
    /// Tokens the RST_STREAM bucket regains per second. Default 33.
    public var streamResetRate: UInt64 = 33
    /// Largest response header block nghttp2 will serialize (`nghttp2_option_set_max_send_header_block_length`);
    /// a larger one fails that stream only. Default 64 KiB.
    public var maxSendHeaderBlockLength = 64 * 1024
    /// HPACK dynamic table size used to compress responses (`nghttp2_option_set_max_deflate_dynamic_table_size`),
    /// whatever the client's SETTINGS_HEADER_TABLE_SIZE asks for. Default 4 KiB.
    public var maxDeflateDynamicTableSize = 4 * 1024

    /// The defaults listed on each property.
    public init() {}
}
