import CNghttp2

/// The nghttp2 callbacks: non-capturing closures that reach the `ServerSession` via `user_data`.
extension ServerSession {
    /// The session behind an nghttp2 `user_data` pointer.
    @inline(__always)
    static func from(_ userData: UnsafeMutableRawPointer?) -> ServerSession {
        Unmanaged<ServerSession>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// Registers every callback the session uses.
    static func installCallbacks(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks) { session, header, userData in
            guard let header else { return 0 }
            let type = header.pointee.type
            // DATA is checked in `receive` (nghttp2 skips this callback for DATA it ignores).
            guard type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
            let me = ServerSession.from(userData)
            let streamID = header.pointee.stream_id
            guard me.stream(streamID) == nil else { return 0 }  // an open stream: nghttp2 judges
            // Without retained closed streams libnghttp2 ignores frames on closed streams and new streams
            // numbered below earlier ones; RFC 9113 §5.1 and §5.1.1 make them connection errors.
            let code: UInt32
            switch me.streamIDs.headers(streamID) {
            case .accept: return 0
            case .streamClosed: code = HTTP2ErrorCode.streamClosed
            case .protocolError: code = HTTP2ErrorCode.protocolError
            }
            _ = nghttp2_session_terminate_session(session, code)
            return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)
        }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame, ServerSession.isRequestHeaders(frame) else { return 0 }
            ServerSession.from(userData).openStream(frame.pointee.hd.stream_id)
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name, let value, ServerSession.isRequestHeaders(frame) else { return 0 }
            ServerSession.from(userData).onHeader(
                streamID: frame.pointee.hd.stream_id,
                name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            ServerSession.from(userData).onFrameReceived(frame)
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            let me = ServerSession.from(userData)
            guard me.stream(streamID) != nil else { return 0 }
            me.delegate?.serverSession(
                me, didReceiveData: UnsafeRawBufferPointer(start: data, count: length), streamID: streamID)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            let me = ServerSession.from(userData)
            guard me.closeStream(streamID) else { return 0 }
            me.delegate?.serverSession(me, didCloseStream: streamID, errorCode: errorCode)
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { session, frame, userData in
            guard let frame else { return 0 }
            if frame.pointee.hd.type == UInt8(NGHTTP2_RST_STREAM.rawValue) {
                ServerSession.from(userData).streamIDs.serverReset(frame.pointee.hd.stream_id)
                return 0
            }
            guard frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 else { return 0 }
            let streamID = frame.pointee.hd.stream_id
            guard let state = ServerSession.from(userData).stream(streamID), state.resetAfterResponse,
                nghttp2_session_get_stream_remote_close(session, streamID) == 0
            else { return 0 }
            _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, HTTP2ErrorCode.noError)
            return 0
        }
        nghttp2_session_callbacks_set_send_data_callback(callbacks) { _, frame, frameHeader, length, _, userData in
            guard let frame else { return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
            ServerSession.from(userData).sendBody(
                streamID: frame.pointee.hd.stream_id, frameHeader: frameHeader, length: length)
            return 0
        }
    }

    /// True for the HEADERS frame that opens a request (not trailers).
    @inline(__always)
    static func isRequestHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
        frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
    }

    /// The data source read callback shared by every response: decides how much of the body the
    /// next DATA frame carries, without copying it (NO_COPY; `sendBody` writes it).
    static let readBody: nghttp2_data_source_read_callback = { _, streamID, _, length, flags, _, userData in
        let me = ServerSession.from(userData)
        guard let state = me.stream(streamID), let body = state.body, let flags else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        if me.isDataPaused {
            if !state.deferred {
                state.deferred = true
                me.deferredStreams.append(streamID)
            }
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        let n = min(length, body.count - state.readOffset)
        state.readOffset += n
        flags.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
        if state.readOffset == body.count { flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
        return n
    }

    /// Records one request header field (pseudo-headers into their slots), enforcing the
    /// header list size limit.
    func onHeader(streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard let state = stream(streamID) else { return }
        state.head.size += name.count + value.count + 32
        if state.head.size > Int(settings.maxHeaderListSize) {
            state.head.exceedsHeaderListSize = true
            return
        }
        let valueString = String(decoding: value, as: UTF8.self)
        if name.first == UInt8(ascii: ":") {
            switch name.count {
            case 5 where name.elementsEqual(":path".utf8): state.head.path = valueString
            case 7 where name.elementsEqual(":method".utf8): state.head.method = valueString
            case 7 where name.elementsEqual(":scheme".utf8): state.head.scheme = valueString
            case 10 where name.elementsEqual(":authority".utf8): state.head.authority = valueString
            default: break  // nghttp2's HTTP messaging checks already rejected unknown pseudo-headers
            }
        } else {
            state.head.headers.append((String(decoding: name, as: UTF8.self), valueString))
        }
    }

    /// Turns completed frames into delegate events; acknowledges the shutdown PING.
    func onFrameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            guard let state = stream(header.stream_id) else { return }
            if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                delegate?.serverSession(
                    self, didReceiveHead: state.head, streamID: header.stream_id, endStream: endStream)
            } else if endStream {
                delegate?.serverSession(self, didEndStream: header.stream_id)
            }
        case NGHTTP2_DATA.rawValue:
            if endStream, stream(header.stream_id) != nil {
                delegate?.serverSession(self, didEndStream: header.stream_id)
            }
        case NGHTTP2_PING.rawValue:
            guard header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0, case .noticeSent = shutdown else { return }
            finishGracefulShutdown()
        default:
            break
        }
    }

    /// Writes one DATA frame: nghttp2's 9-byte frame header, then the next `length` body bytes.
    func sendBody(streamID: Int32, frameHeader: UnsafePointer<UInt8>?, length: Int) {
        emit(UnsafeRawBufferPointer(start: frameHeader, count: 9))
        guard length > 0, let state = stream(streamID), let body = state.body else { return }
        let start = state.sendOffset
        state.sendOffset += length
        body.withBytes(in: start..<start + length) { emit($0) }
    }
}
