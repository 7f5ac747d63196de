import CNghttp2

/// One response's `nghttp2_nv` array and the bytes it points into, in a single allocation that
/// outlives the HEADERS frame (it is freed with the stream), so nghttp2 can take it with
/// `NGHTTP2_NV_FLAG_NO_COPY_NAME | NO_COPY_VALUE`.
final class ResponseHeaderBlock {
    /// The fields, `:status` first.
    let fields: UnsafeMutablePointer<nghttp2_nv>
    /// Number of entries in `fields`.
    let count: Int
    /// The allocation holding `fields` and the name/value bytes.
    private let storage: UnsafeMutableRawPointer

    /// Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2); they are dropped.
    private static let forbidden: [[UInt8]] = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    ]
    .map { Array($0.utf8) }
    private static let contentLength = Array("content-length".utf8)

    /// Lays out `:status`, the fields (names lower-cased, connection-specific ones dropped) and a
    /// `content-length` of `bodyCount` unless one is given.
    init(status: Int, headers: [(name: String, value: String)], bodyCount: Int) {
        let status = (100...999).contains(status) ? status : 500
        let lengthDigits = String(bodyCount)
        var byteCount = 7 + 3 + ResponseHeaderBlock.contentLength.count + lengthDigits.utf8.count
        for (name, value) in headers { byteCount += name.utf8.count + value.utf8.count }
        let maxFields = headers.count + 2
        let fieldBytes = maxFields * MemoryLayout<nghttp2_nv>.stride
        let storage = UnsafeMutableRawPointer.allocate(
            byteCount: fieldBytes + byteCount, alignment: MemoryLayout<nghttp2_nv>.alignment)
        let fields = storage.bindMemory(to: nghttp2_nv.self, capacity: maxFields)
        var cursor = (storage + fieldBytes).assumingMemoryBound(to: UInt8.self)
        var n = 0
        var hasContentLength = false

        func put(_ name: some Collection<UInt8>, _ value: some Collection<UInt8>, lowercase: Bool) -> Bool {
            let namePtr = cursor
            for byte in name {
                cursor.pointee = lowercase && byte >= 65 && byte <= 90 ? byte | 0x20 : byte
                cursor += 1
            }
            let nameBuffer = UnsafeBufferPointer(start: namePtr, count: name.count)
            if lowercase, ResponseHeaderBlock.forbidden.contains(where: { $0.elementsEqual(nameBuffer) }) {
                cursor = namePtr
                return false
            }
            if lowercase, ResponseHeaderBlock.contentLength.elementsEqual(nameBuffer) { hasContentLength = true }
            let valuePtr = cursor
            for byte in value {
                cursor.pointee = byte
                cursor += 1
            }
            fields[n] = nghttp2_nv(
                name: namePtr, value: valuePtr, namelen: name.count, valuelen: value.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue))
            n += 1
            return true
        }
        _ = put(":status".utf8, String(status).utf8, lowercase: false)
        for (name, value) in headers { _ = put(name.utf8, value.utf8, lowercase: true) }
        if !hasContentLength { _ = put(ResponseHeaderBlock.contentLength, lengthDigits.utf8, lowercase: false) }
        self.storage = storage
        self.fields = fields
        self.count = n
    }

    deinit { storage.deallocate() }
}
