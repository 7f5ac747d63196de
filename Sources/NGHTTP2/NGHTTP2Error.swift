import CNghttp2

/// A failed nghttp2 call: the library's negative return code and what was being done.
public struct NGHTTP2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The nghttp2 error code (one of `nghttp2_error`, always negative).
    public let code: Int32
    /// What Tessera was doing, e.g. "nghttp2_session_mem_recv".
    public let operation: String

    /// The library's own text for `code`, from `nghttp2_strerror`.
    public var message: String { String(cString: nghttp2_strerror(code)) }

    /// `operation: message (code)`.
    public var description: String { "\(operation): \(message) (\(code))" }

    /// True when the library says the session cannot continue (it must be torn down).
    public var isFatal: Bool { nghttp2_is_fatal(code) != 0 }

    /// Makes an error from a return code and the operation that produced it.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Throws unless `code` is zero or positive.
    @inline(__always)
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(NGHTTP2Error) {
        if code < 0 { throw NGHTTP2Error(code: code, operation: operation()) }
    }
}
