import CNghttp2

/// An in-memory HTTP/2 client, backed by an `nghttp2_session` it owns (created in `init`, deleted
/// in `deinit`). For tests: it lets a server handler be driven without sockets, by pumping bytes
/// between `send()` and the server and back into `receive(_:)`. Not thread-safe; not for production.
public final class ClientSession {
    /// What the client has seen of one stream.
    public struct Stream {
        /// The `:status` of the response, once its headers arrived.
        public var status: Int?
        /// Response header fields other than `:status`, in order.
        public var headers: [(name: String, value: String)] = []
        /// The response body so far.
        public var body: [UInt8] = []
        /// True once the server ended the stream (END_STREAM).
        public var isComplete = false
        /// The RST_STREAM error code, when the server reset the stream.
        public var resetCode: UInt32?
        /// True once the stream is closed for any reason.
        public var isClosed = false
    }

    /// The `nghttp2_session*`; set once in `init`.
    private var session: OpaquePointer!
    /// Streams by id.
    public private(set) var streams: [Int32: Stream] = [:]
    /// Request bodies not yet sent, by stream id.
    private var pendingBodies: [Int32: (bytes: [UInt8], offset: Int)] = [:]
    /// The error code of the last GOAWAY received, if any.
    public private(set) var goawayErrorCode: UInt32?
    /// PING acknowledgements received.
    public private(set) var pingAcks = 0
    /// Bytes produced by the current `send()`.
    private var output: [UInt8] = []

    /// A client whose first `send()` yields the connection preface and SETTINGS (`settings`: id, value).
    public init(settings: [(id: Int32, value: UInt32)] = []) throws(NGHTTP2Error) {
        var callbacks: OpaquePointer?
        try NGHTTP2Error.check(nghttp2_session_callbacks_new(&callbacks), "nghttp2_session_callbacks_new")
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.installCallbacks(callbacks)
        var session: OpaquePointer?
        let userData = Unmanaged.passUnretained(self).toOpaque()
        try NGHTTP2Error.check(nghttp2_session_client_new(&session, callbacks, userData), "nghttp2_session_client_new")
        self.session = session
        var entries = settings.map { nghttp2_settings_entry(settings_id: $0.id, value: $0.value) }
        try NGHTTP2Error.check(
            nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count),
            "nghttp2_submit_settings")
    }

    deinit {
        if let session { nghttp2_session_del(session) }
    }

    /// Queues a request and returns its stream id. A non-empty `body` is sent as DATA frames.
    public func submitRequest(
        method: String = "GET", path: String, authority: String = "localhost",
        headers: [(name: String, value: String)] = [], body: [UInt8] = []
    ) throws(NGHTTP2Error) -> Int32 {
        let fields = [(":method", method), (":scheme", "http"), (":authority", authority), (":path", path)] + headers
        // One buffer holds every name and value; nghttp2 copies them during the call.
        var bytes: [UInt8] = []
        var ranges: [(name: Int, nameLength: Int, value: Int, valueLength: Int)] = []
        for (name, value) in fields {
            let nameStart = bytes.count
            bytes.append(contentsOf: name.utf8)
            let valueStart = bytes.count
            bytes.append(contentsOf: value.utf8)
            ranges.append((nameStart, name.utf8.count, valueStart, value.utf8.count))
        }
        let streamID: Int32 = bytes.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return NGHTTP2_ERR_INVALID_ARGUMENT.rawValue }
            let nvs = ranges.map {
                nghttp2_nv(
                    name: base + $0.name, value: base + $0.value, namelen: $0.nameLength, valuelen: $0.valueLength,
                    flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            if body.isEmpty {
                return nghttp2_submit_request(session, nil, nvs, nvs.count, nil, nil)
            }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readBody)
            return nghttp2_submit_request(session, nil, nvs, nvs.count, &provider, nil)
        }
        try NGHTTP2Error.check(streamID, "nghttp2_submit_request")
        streams[streamID] = Stream()
        if !body.isEmpty { pendingBodies[streamID] = (body, 0) }
        return streamID
    }

    /// Queues RST_STREAM on `streamID`.
    public func resetStream(_ streamID: Int32, errorCode: UInt32 = HTTP2ErrorCode.cancel) {
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Queues a PING.
    public func ping() {
        _ = nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    /// Every byte nghttp2 has queued to send (the preface and SETTINGS first).
    public func send() throws(NGHTTP2Error) -> [UInt8] {
        output.removeAll(keepingCapacity: true)
        while true {
            var data: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &data)
            if n < 0 { throw NGHTTP2Error(code: Int32(truncatingIfNeeded: n), operation: "nghttp2_session_mem_send") }
            if n == 0 { break }
            output.append(contentsOf: UnsafeBufferPointer(start: data, count: n))
        }
        return output
    }

    /// Processes bytes from the server.
    public func receive(_ bytes: [UInt8]) throws(NGHTTP2Error) {
        let rv = bytes.withUnsafeBufferPointer { buffer in
            nghttp2_session_mem_recv(session, buffer.baseAddress, buffer.count)
        }
        if rv < 0 { throw NGHTTP2Error(code: Int32(truncatingIfNeeded: rv), operation: "nghttp2_session_mem_recv") }
    }

    /// The client behind an nghttp2 `user_data` pointer.
    private static func from(_ userData: UnsafeMutableRawPointer?) -> ClientSession {
        Unmanaged<ClientSession>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// Copies the next piece of a request body.
    private static let readBody: nghttp2_data_source_read_callback = {
        _, streamID, buffer, length, flags, _, userData in
        let me = ClientSession.from(userData)
        guard let pending = me.pendingBodies[streamID], let buffer, let flags else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let n = min(length, pending.bytes.count - pending.offset)
        pending.bytes.withUnsafeBytes { source in
            guard let start = source.baseAddress else { return }
            UnsafeMutableRawPointer(buffer).copyMemory(from: start + pending.offset, byteCount: n)
        }
        me.pendingBodies[streamID]?.offset += n
        if pending.offset + n == pending.bytes.count {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            me.pendingBodies[streamID] = nil
        }
        return n
    }

    /// Registers the callbacks that fill `streams`.
    private static func installCallbacks(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name, let value else { return 0 }
            let me = ClientSession.from(userData)
            let nameString = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
            let valueString = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            let streamID = frame.pointee.hd.stream_id
            if nameString == ":status" {
                me.streams[streamID, default: Stream()].status = Int(valueString)
            } else {
                me.streams[streamID, default: Stream()].headers.append((nameString, valueString))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            ClientSession.from(userData).streams[streamID, default: Stream()].body.append(
                contentsOf: UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let me = ClientSession.from(userData)
            let header = frame.pointee.hd
            switch UInt32(header.type) {
            case NGHTTP2_GOAWAY.rawValue:
                me.goawayErrorCode = frame.pointee.goaway.error_code
            case NGHTTP2_RST_STREAM.rawValue:
                me.streams[header.stream_id, default: Stream()].resetCode = frame.pointee.rst_stream.error_code
            case NGHTTP2_PING.rawValue where header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0:
                me.pingAcks += 1
            case NGHTTP2_HEADERS.rawValue, NGHTTP2_DATA.rawValue:
                if header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
                    me.streams[header.stream_id, default: Stream()].isComplete = true
                }
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, _, userData in
            ClientSession.from(userData).streams[streamID, default: Stream()].isClosed = true
            return 0
        }
    }
}
