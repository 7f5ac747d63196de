import NGHTTP2
import NIOCore

/// A `ByteBuffer` as an HTTP/2 response body, read in place frame by frame.
struct ByteBufferBody: ResponseBody {
    /// The body bytes (its readable bytes).
    let buffer: ByteBuffer

    /// The number of readable bytes.
    var count: Int { buffer.readableBytes }

    /// Calls `body` with the readable bytes in `range`.
    func withBytes<Result>(in range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        buffer.withUnsafeReadableBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}
