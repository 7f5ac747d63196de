/// Read back-pressure for one connection as a value: a `read()` from the channel is held while the
/// channel is not writable and released when it becomes writable again.
struct ConnectionFlowState {
    /// True while a read request is being held back.
    private(set) var readHeld = false
    /// True once the connection started closing.
    var isClosed = false

    /// Whether to pass a read request on now (else it is held).
    mutating func shouldRead(writable: Bool) -> Bool {
        if writable { return true }
        readHeld = true
        return false
    }

    /// The channel became writable: returns true when a held read must be issued.
    mutating func writableAgain() -> Bool {
        defer { readHeld = false }
        return readHeld
    }
}
