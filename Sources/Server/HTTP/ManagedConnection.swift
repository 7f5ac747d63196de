/// A connection the server can wind down: implemented by every connection-level handler.
protocol ManagedConnection: AnyObject {
    /// Stop taking new requests, finish the ones in flight, then close.
    func initiateGracefulShutdown()
    /// Close now.
    func forceClose()
}
