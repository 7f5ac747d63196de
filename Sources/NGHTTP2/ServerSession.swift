import CNghttp2

/// One server-side HTTP/2 connection state machine, backed by an `nghttp2_session` it owns
/// (created in `init`, deleted in `deinit`).
///
/// Feed it inbound bytes with `receive(_:)`; it reports requests through its `delegate`. Answer
/// with `submitResponse(streamID:status:headers:body:)`, then call `send(limit:)` to get the
/// outbound bytes (also through the delegate). Not thread-safe: use it from one thread at a time.
public final class ServerSession {
    /// Receives events and outbound bytes. Not retained: the delegate owns the session and the session
    /// calls it only from inside `receive` and `send`, which the delegate calls (a `weak` reference cost an
    /// atomic load per callback, several per request).
    public unowned(unsafe) var delegate: (any ServerSessionDelegate)?
    /// The settings advertised to the client.
    public let settings: ServerSessionSettings

    /// The `nghttp2_session*`; set once in `init`.
    private(set) var session: OpaquePointer!
    /// Open streams: each `StreamState` is retained once and attached to its nghttp2 stream as the stream's
    /// user data, so a lookup is nghttp2's own stream-map lookup (it does one per frame anyway) instead of a
    /// Swift dictionary with hashing; a doubly linked list through the states lets `deinit` release the
    /// streams nghttp2 never closed.
    var firstStream: StreamState?
    /// Number of open streams.
    private(set) var streamCount = 0
    /// True while DATA frames are held back (see `pauseData()`).
    public private(set) var isDataPaused = false
    /// Streams whose data source returned `NGHTTP2_ERR_DEFERRED` since the last `resumeData()`.
    var deferredStreams: [Int32] = []
    /// Where a graceful shutdown stands.
    var shutdown = GracefulShutdown.none
    /// Bytes handed to the delegate during the current `send(limit:)`.
    var producedBytes = 0
    /// Frame boundaries of the inbound bytes, to check DATA frames before nghttp2 reads them.
    var scanner = InboundFrameScanner()
    /// The client's recent streams, for frames on streams that are not open (RFC 9113 §5.1).
    var streamIDs = ClientStreamIDs()

    /// Progress of the two-step GOAWAY (RFC 9113 §6.8).
    enum GracefulShutdown {
        /// Not shutting down.
        case none
        /// The shutdown notice (GOAWAY with the maximum stream id) and a PING are out.
        case noticeSent
        /// The final GOAWAY with the last processed stream id is submitted.
        case finalSent
    }

    /// PING payload marking the round trip after the shutdown notice.
    static let shutdownPingPayload: [UInt8] = Array("tessera!".utf8)

    /// Creates the session, applies the limits and queues the server's SETTINGS frame
    /// (sent by the first `send(limit:)`).
    public init(settings: ServerSessionSettings = ServerSessionSettings(), delegate: (any ServerSessionDelegate)?)
        throws(NGHTTP2Error)
    {
        self.settings = settings
        self.delegate = delegate

        var callbacks: OpaquePointer?
        try NGHTTP2Error.check(nghttp2_session_callbacks_new(&callbacks), "nghttp2_session_callbacks_new")
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.installCallbacks(callbacks)

        var option: OpaquePointer?
        try NGHTTP2Error.check(nghttp2_option_new(&option), "nghttp2_option_new")
        defer { nghttp2_option_del(option) }
        // Retained closed streams (up to 256) would cost ~65 KiB per busy connection; `ClientStreamIDs`
        // gives the answers nghttp2 would derive from them (STREAM_CLOSED, RFC 9113 §5.1).
        nghttp2_option_set_no_closed_streams(option, 1)
        nghttp2_option_set_max_settings(option, max(1, settings.maxSettingsEntries))
        nghttp2_option_set_max_outbound_ack(option, max(1, settings.maxOutboundAcks))
        nghttp2_option_set_max_continuations(option, max(0, settings.maxContinuations))
        nghttp2_option_set_stream_reset_rate_limit(option, settings.streamResetBurst, settings.streamResetRate)
        nghttp2_option_set_max_send_header_block_length(option, max(1, settings.maxSendHeaderBlockLength))
        nghttp2_option_set_max_deflate_dynamic_table_size(option, max(0, settings.maxDeflateDynamicTableSize))

        var session: OpaquePointer?
        let userData = Unmanaged.passUnretained(self).toOpaque()
        try NGHTTP2Error.check(
            nghttp2_session_server_new2(&session, callbacks, userData, option), "nghttp2_session_server_new2")
        self.session = session

        var entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListSize),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
        ]
        try NGHTTP2Error.check(
            nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count),
            "nghttp2_submit_settings")
        try NGHTTP2Error.check(
            nghttp2_session_set_local_window_size(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(clamping: settings.connectionWindowSize)),
            "nghttp2_session_set_local_window_size")
    }

    deinit {
        if let session { nghttp2_session_del(session) }
        var next = firstStream
        while let state = next {
            next = state.next
            state.next = nil
            state.previous = nil
            Unmanaged.passUnretained(state).release()
        }
        firstStream = nil
    }

    /// The number of streams currently open.
    public var openStreamCount: Int { streamCount }

    /// The open stream `streamID` (one whose request headers began), or nil.
    @inline(__always)
    func stream(_ streamID: Int32) -> StreamState? {
        guard let pointer = nghttp2_session_get_stream_user_data(session, streamID) else { return nil }
        return Unmanaged<StreamState>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Opens the state of a stream whose request headers begin.
    func openStream(_ streamID: Int32) {
        let state = StreamState()
        state.next = firstStream
        firstStream?.previous = state
        firstStream = state
        streamCount += 1
        _ = nghttp2_session_set_stream_user_data(session, streamID, Unmanaged.passRetained(state).toOpaque())
    }

    /// Releases the state of a closing stream; false when it had none.
    func closeStream(_ streamID: Int32) -> Bool {
        guard let pointer = nghttp2_session_get_stream_user_data(session, streamID) else { return false }
        _ = nghttp2_session_set_stream_user_data(session, streamID, nil)
        let unmanaged = Unmanaged<StreamState>.fromOpaque(pointer)
        let state = unmanaged.takeUnretainedValue()
        if let previous = state.previous { previous.next = state.next } else { firstStream = state.next }
        state.next?.previous = state.previous
        state.next = nil
        state.previous = nil
        streamCount -= 1
        unmanaged.release()
        return true
    }

    /// True when nghttp2 still expects to read (false after GOAWAY once no stream is left).
    public var wantsRead: Bool { nghttp2_session_want_read(session) != 0 }

    /// True when nghttp2 has frames queued.
    public var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }

    /// True when the connection has nothing left to do and can be closed.
    public var isFinished: Bool { !wantsRead && !wantsWrite }

    /// Processes inbound bytes; events reach the delegate before this returns. A thrown error
    /// means the connection is unusable: a GOAWAY is queued by then (nghttp2's own, or one with the
    /// error code that fits, e.g. PROTOCOL_ERROR for a bad preface): `send` it, then close.
    public func receive(_ bytes: UnsafeRawBufferPointer) throws(NGHTTP2Error) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var fed = 0
        // nghttp2 reads up to each DATA frame header, so the stream's state is current when it is checked.
        while let frame = scanner.nextDataFrame(in: bytes, from: fed) {
            if frame.start > fed { try feed(base + fed, count: frame.start - fed) }
            fed = max(fed, frame.start)
            if stream(frame.streamID) == nil, streamIDs.data(frame.streamID) == .streamClosed {
                _ = nghttp2_session_terminate_session(session, HTTP2ErrorCode.streamClosed)
                throw NGHTTP2Error(
                    code: NGHTTP2_ERR_PROTO.rawValue, operation: "DATA on closed stream \(frame.streamID)")
            }
            try feed(base + fed, count: frame.end - fed)
            fed = frame.end
        }
        if bytes.count > fed { try feed(base + fed, count: bytes.count - fed) }
    }

    /// Hands `count` bytes to nghttp2.
    private func feed(_ start: UnsafePointer<UInt8>, count: Int) throws(NGHTTP2Error) {
        let rv = nghttp2_session_mem_recv(session, start, count)
        if rv < 0 {
            let code = Int32(truncatingIfNeeded: rv)
            // A no-op when nghttp2 already queued its own GOAWAY.
            _ = nghttp2_session_terminate_session(session, Self.goawayCode(forReceiveError: code))
            throw NGHTTP2Error(code: code, operation: "nghttp2_session_mem_recv")
        }
    }

    /// The GOAWAY error code for a `nghttp2_session_mem_recv` failure.
    static func goawayCode(forReceiveError code: Int32) -> UInt32 {
        switch code {
        case NGHTTP2_ERR_FLOODED.rawValue: HTTP2ErrorCode.enhanceYourCalm
        case NGHTTP2_ERR_NOMEM.rawValue, NGHTTP2_ERR_CALLBACK_FAILURE.rawValue: HTTP2ErrorCode.internalError
        default: HTTP2ErrorCode.protocolError  // bad preface, malformed frames
        }
    }

    /// Serializes queued frames through `delegate.serverSession(_:write:)` until nothing is queued
    /// or about `limit` bytes were produced (a frame is never split). Returns the bytes produced.
    @discardableResult
    public func send(limit: Int = .max) throws(NGHTTP2Error) -> Int {
        producedBytes = 0
        while producedBytes < limit {
            var data: UnsafePointer<UInt8>?
            let before = producedBytes
            let n = nghttp2_session_mem_send(session, &data)
            if n < 0 { throw NGHTTP2Error(code: Int32(truncatingIfNeeded: n), operation: "nghttp2_session_mem_send") }
            if n > 0 {
                emit(UnsafeRawBufferPointer(start: data, count: n))
            } else if producedBytes == before {
                // Zero without a NO_COPY DATA frame written by the callback: nothing is sendable.
                break
            }
        }
        return producedBytes
    }

    /// Queues a response on an open stream. `body` is kept (not copied) until the stream closes;
    /// an empty body ends the stream with the HEADERS frame. With `resetAfterSending`, a client
    /// still sending the request gets RST_STREAM(NO_ERROR) once the response is out (RFC 9113 §8.1).
    public func submitResponse(
        streamID: Int32, status: Int, headers: [(name: String, value: String)], body: any ResponseBody,
        resetAfterSending: Bool = false
    ) throws(NGHTTP2Error) {
        guard let state = stream(streamID), !state.hasResponse else {
            throw NGHTTP2Error(
                code: NGHTTP2_ERR_STREAM_CLOSED.rawValue, operation: "submitResponse(stream \(streamID))")
        }
        state.resetAfterResponse = resetAfterSending
        let block = ResponseHeaderBlock(status: status, headers: headers, bodyCount: body.count)
        state.responseHeaders = block
        let rv: Int32
        if body.count == 0 {
            rv = nghttp2_submit_response(session, streamID, block.fields, block.count, nil)
        } else {
            state.body = body
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readBody)
            rv = nghttp2_submit_response(session, streamID, block.fields, block.count, &provider)
        }
        try NGHTTP2Error.check(rv, "nghttp2_submit_response(stream \(streamID))")
    }

    /// Resets a stream with RST_STREAM and the given HTTP/2 error code (0 = NO_ERROR).
    public func resetStream(_ streamID: Int32, errorCode: UInt32 = 0) {
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Holds back DATA frames (their data sources answer `NGHTTP2_ERR_DEFERRED`) while the
    /// transport cannot take more bytes; control frames still flow.
    public func pauseData() { isDataPaused = true }

    /// Lets DATA frames flow again, resuming every deferred stream.
    public func resumeData() {
        isDataPaused = false
        let ids = deferredStreams
        deferredStreams.removeAll(keepingCapacity: true)
        for id in ids {
            stream(id)?.deferred = false
            _ = nghttp2_session_resume_data(session, id)
        }
    }

    /// Starts a graceful shutdown: a GOAWAY shutdown notice and a PING now; the final GOAWAY with
    /// the last processed stream id when the PING is acknowledged (or on `finishGracefulShutdown()`).
    /// Open streams run to completion; then `isFinished` becomes true.
    public func beginGracefulShutdown() {
        guard case .none = shutdown else { return }
        shutdown = .noticeSent
        _ = nghttp2_submit_shutdown_notice(session)
        Self.shutdownPingPayload.withUnsafeBufferPointer {
            _ = nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), $0.baseAddress)
        }
    }

    /// Sends the final GOAWAY (last processed stream id, NO_ERROR) unless already sent.
    public func finishGracefulShutdown() {
        if case .finalSent = shutdown { return }
        shutdown = .finalSent
        _ = nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
            NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    /// Ends the session at once with GOAWAY(errorCode); open streams are abandoned.
    public func terminate(errorCode: UInt32 = HTTP2ErrorCode.noError) {
        shutdown = .finalSent
        _ = nghttp2_session_terminate_session(session, errorCode)
    }

    /// Hands bytes to the delegate and counts them.
    @inline(__always)
    func emit(_ bytes: UnsafeRawBufferPointer) {
        producedBytes += bytes.count
        delegate?.serverSession(self, write: bytes)
    }
}
