/// Response body bytes that a `ServerSession` reads in place, frame by frame, until the stream closes.
///
/// The session keeps the value alive per stream and never copies it; nghttp2 never sees it either
/// (DATA frames use `NGHTTP2_DATA_FLAG_NO_COPY`), so the only copy is into the outbound bytes.
public protocol ResponseBody {
    /// Number of body bytes.
    var count: Int { get }
    /// Calls `body` with the bytes in `range` (a sub-range of `0..<count`).
    func withBytes<Result>(in range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Result) -> Result
}

extension [UInt8]: ResponseBody {
    /// Calls `body` with the array's bytes in `range`.
    public func withBytes<Result>(in range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        self.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}
