import CNghttp2

#if canImport(Glibc)
import Glibc
#endif

/// One response's `nghttp2_nv` array and the bytes it points into, in a single allocation that
/// outlives the HEADERS frame, so nghttp2 can take it with `NGHTTP2_NV_FLAG_NO_COPY_NAME | NO_COPY_VALUE`.
/// A value, not an object: its owner (the stream's `StreamState`) calls ``deallocate()`` when the stream
/// closes, which saves an object allocation per response.
struct ResponseHeaderBlock {
    /// The fields, `:status` first.
    let fields: UnsafeMutablePointer<nghttp2_nv>
    /// Number of entries in `fields`.
    let count: Int
    /// The allocation holding `fields` and the name/value bytes.
    private let storage: UnsafeMutableRawPointer

    /// Lays out `:status`, the fields (names lower-cased, connection-specific ones dropped: RFC 9113 §8.2.2)
    /// and a `content-length` of `bodyCount` unless one is given. Bytes are copied with `memcpy` from the
    /// strings' contiguous UTF-8 and numbers written by hand: this runs once per response.
    init(status: Int, headers: [(name: String, value: String)], bodyCount: Int) {
        let status = (100...999).contains(status) ? status : 500
        var byteCount = 7 + 3 + 14 + 20
        for (name, value) in headers { byteCount += name.utf8.count + value.utf8.count }
        let maxFields = headers.count + 2
        let fieldBytes = maxFields * MemoryLayout<nghttp2_nv>.stride
        let storage = UnsafeMutableRawPointer.allocate(
            byteCount: fieldBytes + byteCount, alignment: MemoryLayout<nghttp2_nv>.alignment)
        let fields = storage.bindMemory(to: nghttp2_nv.self, capacity: maxFields)
        var cursor = (storage + fieldBytes).assumingMemoryBound(to: UInt8.self)
        var n = 0
        var hasContentLength = false
        let noCopy = UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue)

        let noIndex = noCopy | UInt8(NGHTTP2_NV_FLAG_NO_INDEX.rawValue)
        func field(name: UnsafeMutablePointer<UInt8>, nameCount: Int, valueCount: Int, unique: Bool = false) {
            fields[n] = nghttp2_nv(
                name: name, value: name + nameCount, namelen: nameCount, valuelen: valueCount,
                flags: unique ? noIndex : noCopy)
            n += 1
        }
        func copy(_ string: String, lowercase: Bool) -> Int {
            var string = string
            return string.withUTF8 { bytes in
                guard let base = bytes.baseAddress else { return 0 }
                if lowercase {
                    for i in 0..<bytes.count {
                        let byte = base[i]
                        cursor[i] = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
                    }
                } else {
                    cursor.update(from: base, count: bytes.count)
                }
                return bytes.count
            }
        }
        func digits(_ value: Int) -> Int {
            var v = max(0, value)
            var count = 1
            var probe = v
            while probe >= 10 {
                probe /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) {
                cursor[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
                v /= 10
            }
            return count
        }

        let statusName = cursor
        for byte in ":status".utf8 {
            cursor.pointee = byte
            cursor += 1
        }
        cursor += digits(status)
        field(name: statusName, nameCount: 7, valueCount: 3)
        for (name, value) in headers {
            let start = cursor
            let nameCount = copy(name, lowercase: true)
            let kind = Self.classify(UnsafeBufferPointer(start: start, count: nameCount))
            if kind == .forbidden { continue }  // not kept: the cursor stays
            if kind == .contentLength { hasContentLength = true }
            cursor += nameCount
            let valueCount = copy(value, lowercase: false)
            cursor += valueCount
            field(name: start, nameCount: nameCount, valueCount: valueCount, unique: kind == .uniquePerResponse)
        }
        if !hasContentLength {
            let start = cursor
            for byte in "content-length".utf8 {
                cursor.pointee = byte
                cursor += 1
            }
            let count = digits(bodyCount)
            cursor += count
            field(name: start, nameCount: 14, valueCount: count)
        }
        self.storage = storage
        self.fields = fields
        self.count = n
    }

    /// What a lower-cased field name means to the block.
    /// `uniquePerResponse`: `etag` and `tessera-exposure`, whose values differ per answer; they go out HPACK
    /// "without indexing", so they do not push the shared fields out of the connection's dynamic table.
    enum NameKind { case ordinary, contentLength, forbidden, uniquePerResponse }

    /// Whether `name` is `content-length` or one of the connection-specific fields HTTP/2 forbids
    /// (connection, keep-alive, proxy-connection, transfer-encoding, upgrade); by length first.
    static func classify(_ name: UnsafeBufferPointer<UInt8>) -> NameKind {
        func `is`(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == name.count
                && memcmp(literal.utf8Start, name.baseAddress!, name.count) == 0
        }
        switch name.count {
        case 4: return `is`("etag") ? .uniquePerResponse : .ordinary
        case 7: return `is`("upgrade") ? .forbidden : .ordinary
        case 10: return `is`("connection") || `is`("keep-alive") ? .forbidden : .ordinary
        case 14: return `is`("content-length") ? .contentLength : .ordinary
        case 16:
            if `is`("proxy-connection") { return .forbidden }
            return `is`("tessera-exposure") ? .uniquePerResponse : .ordinary
        case 17: return `is`("transfer-encoding") ? .forbidden : .ordinary
        default: return .ordinary
        }
    }

    /// The fields as "name: value" lines, in order (for tests and debugging).
    var fieldLines: [String] {
        (0..<count).map { i in
            let f = fields[i]
            let name = String(decoding: UnsafeBufferPointer(start: f.name, count: f.namelen), as: UTF8.self)
            let value = String(decoding: UnsafeBufferPointer(start: f.value, count: f.valuelen), as: UTF8.self)
            return "\(name): \(value)"
        }
    }

    /// The names of the fields sent without HPACK indexing (for tests).
    var notIndexedNames: [String] {
        (0..<count).compactMap { i in
            let f = fields[i]
            guard f.flags & UInt8(NGHTTP2_NV_FLAG_NO_INDEX.rawValue) != 0 else { return nil }
            return String(decoding: UnsafeBufferPointer(start: f.name, count: f.namelen), as: UTF8.self)
        }
    }

    /// Frees the block; the owner calls it once, when nghttp2 no longer points into it.
    func deallocate() { storage.deallocate() }
}
