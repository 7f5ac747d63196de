/// The limits a `ServerSession` advertises in its SETTINGS frame and enforces.
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

    /// The defaults listed on each property.
    public init() {}
}
