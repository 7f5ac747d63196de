/// Receives a `ServerSession`'s events and outbound bytes, synchronously, from inside `receive`
/// and `send`. Each call runs while nghttp2 is in a callback: submitting responses from it is fine.
public protocol ServerSessionDelegate: AnyObject {
    /// A request's header block is complete. `endStream` is true when no body follows.
    func serverSession(_ session: ServerSession, didReceiveHead head: RequestHead, streamID: Int32, endStream: Bool)
    /// A chunk of request body arrived. The bytes are only valid during the call.
    func serverSession(_ session: ServerSession, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32)
    /// The client finished sending on `streamID` (after a body, or after trailers).
    func serverSession(_ session: ServerSession, didEndStream streamID: Int32)
    /// The stream is gone (answered, reset by either side, or the connection ended); `errorCode`
    /// is the HTTP/2 error code (0 = NO_ERROR).
    func serverSession(_ session: ServerSession, didCloseStream streamID: Int32, errorCode: UInt32)
    /// Bytes to put on the wire, in order. They are only valid during the call: copy them.
    func serverSession(_ session: ServerSession, write bytes: UnsafeRawBufferPointer)
}
