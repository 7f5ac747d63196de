/// The header block of one HTTP/2 request, as received.
public struct RequestHead: Sendable {
    /// `:method`.
    public var method: String = ""
    /// `:path`, including any query string.
    public var path: String = ""
    /// `:authority` (empty when absent).
    public var authority: String = ""
    /// `:scheme` (empty when absent).
    public var scheme: String = ""
    /// Regular header fields in arrival order; names are lower case (HTTP/2 requires it).
    public var headers: [(name: String, value: String)] = []
    /// True when the fields exceeded `ServerSessionSettings.maxHeaderListSize`; fields past the
    /// limit were dropped and the request should be answered with 431.
    public var exceedsHeaderListSize = false

    /// Header list size so far, counted as RFC 9113 §6.5.2 does.
    var size = 0

    /// An empty head.
    public init() {}
}
