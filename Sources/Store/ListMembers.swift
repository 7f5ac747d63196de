import Foundation
public import JSON
import Targeting

/// The ids of one list segment upload, parsed and packed: every id in stored form (``SavedGroupMember``:
/// type tag, then the id) back to back in one buffer, so ten million ids cost their bytes plus four per id,
/// not an array per id.
///
/// Input is either plain lines (one id per line: the line is the id, surrounding spaces and tabs removed) or
/// NDJSON (each line a JSON string, a JSON number, or an object with an `"id"` string or number). Blank lines
/// are skipped. The first bad line stops the parse with its `line:column`: a list is replaced or merged
/// whole or not at all, never with a member silently missing.
public struct ListMembers: Sendable {
    /// How the input is written.
    public enum Format: String, Sendable, CaseIterable {
        /// One id per line.
        case lines
        /// One JSON string, number or `{"id": ...}` object per line.
        case ndjson
    }

    /// Why an upload cannot be read.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based line.
        public var line: Int
        /// 1-based column (bytes).
        public var column: Int
        /// What is wrong.
        public var message: String

        /// An error at `line:column`.
        public init(line: Int, column: Int, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }

        public var description: String { "\(line):\(column): \(message)" }
    }

    /// Longest id in bytes: LMDB keys are at most 511 bytes, and the stored form adds a tag.
    public static let maxIDBytes = 500

    /// The packed stored forms.
    private(set) var bytes: [UInt8] = []
    /// Where each stored form starts in `bytes` (the next one's start, or the end, is where it ends).
    private(set) var starts: [UInt32] = []
    /// Lines read so far (blank ones included).
    public private(set) var lines = 0
    /// Bytes of input read so far.
    public private(set) var bytesRead = 0
    /// The start of a line whose end has not arrived yet (chunked input).
    private var partial: [UInt8] = []

    /// How the input is written.
    public let format: Format

    /// An empty upload in `format`.
    public init(format: Format) {
        self.format = format
    }

    /// Ids added (duplicates included).
    public var count: Int { starts.count }

    /// Reads one line (without its newline).
    public mutating func add(line: UnsafeRawBufferPointer) throws(ParseError) {
        lines += 1
        bytesRead += line.count + 1
        var start = 0
        var end = line.count
        while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        while end > start, line[end - 1] == 0x20 || line[end - 1] == 0x09 || line[end - 1] == 0x0D { end -= 1 }
        if start == end { return }
        let text = UnsafeRawBufferPointer(rebasing: line[start..<end])
        switch format {
        case .lines:
            try addString(text, column: start + 1)
        case .ndjson:
            let value: JSONValue
            do {
                value = try JSONValue.parse(text)
            } catch {
                throw ParseError(line: lines, column: start + error.column, message: error.message)
            }
            var id = value
            if case .object = value {
                guard let inner = value["id"] else {
                    throw ParseError(line: lines, column: start + 1, message: "an object line needs an \"id\"")
                }
                id = inner
            }
            switch id {
            case .string(let s):
                try addString(s.utf8, column: start + 1)
            case .number(let n):
                starts.append(try offset())
                bytes.append(contentsOf: SavedGroupMember.encoded(number: n))
            default:
                throw ParseError(
                    line: lines, column: start + 1,
                    message: "an id must be a string or a number (GrowthBook compares them strictly)")
            }
        }
    }

    /// Reads every line of `text` (a whole upload).
    public mutating func add(text: UnsafeRawBufferPointer) throws(ParseError) {
        try add(chunk: text)
        try finishChunks()
    }

    /// Longest line a chunked upload may carry over from one chunk to the next: an id is at most
    /// ``maxIDBytes`` and an NDJSON line is an id in a small object, so a longer line is an error (and the
    /// carry-over stays bounded whatever the client sends).
    public static let maxLineBytes = 64 * 1024

    /// Reads the complete lines of `chunk`, the next piece of an upload that arrives in pieces (a streamed
    /// request body); a line split between chunks is kept until its end arrives. ``finishChunks()`` reads the
    /// last line when the upload ends without a newline.
    public mutating func add(chunk: UnsafeRawBufferPointer) throws(ParseError) {
        var lineStart = 0
        for i in 0..<chunk.count where chunk[i] == 0x0A {
            if partial.isEmpty {
                try add(line: UnsafeRawBufferPointer(rebasing: chunk[lineStart..<i]))
            } else {
                try carry(UnsafeRawBufferPointer(rebasing: chunk[lineStart..<i]))
                let line = partial
                partial.removeAll(keepingCapacity: true)
                try add(line: line)
            }
            lineStart = i + 1
        }
        if lineStart < chunk.count { try carry(UnsafeRawBufferPointer(rebasing: chunk[lineStart...])) }
    }

    /// Reads the line left over by ``add(chunk:)``, if any: call once the upload's last chunk was added.
    public mutating func finishChunks() throws(ParseError) {
        guard !partial.isEmpty else { return }
        let line = partial
        partial = []
        try add(line: line)
    }

    /// Reads one line held in an array.
    private mutating func add(line: [UInt8]) throws(ParseError) {
        var failure: ParseError?
        line.withUnsafeBytes { raw in
            do throws(ParseError) { try add(line: raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Appends `piece` to the unfinished line.
    private mutating func carry(_ piece: UnsafeRawBufferPointer) throws(ParseError) {
        guard piece.count <= Self.maxLineBytes - partial.count else {
            throw ParseError(
                line: lines + 1, column: 1,
                message: "line is longer than \(Self.maxLineBytes) bytes (an id is at most \(Self.maxIDBytes))")
        }
        partial.append(contentsOf: piece)
    }

    private mutating func addString(_ id: some Collection<UInt8>, column: Int) throws(ParseError) {
        guard id.count <= Self.maxIDBytes else {
            throw ParseError(
                line: lines, column: column, message: "id is \(id.count) bytes; the limit is \(Self.maxIDBytes)")
        }
        guard String(validating: id, as: UTF8.self) != nil else {
            throw ParseError(line: lines, column: column, message: "id is not valid UTF-8")
        }
        starts.append(try offset())
        bytes.append(SavedGroupMember.stringTag)
        bytes.append(contentsOf: id)
    }

    private func offset() throws(ParseError) -> UInt32 {
        guard bytes.count < Int(UInt32.max) - 512 else {
            throw ParseError(line: lines, column: 1, message: "upload too large: ids total more than 4 GB")
        }
        return UInt32(bytes.count)
    }

    /// Calls `body` with every distinct stored form in LMDB key order (bytewise, a prefix first).
    func forEachSorted(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try bytes.withUnsafeBytes { all in
            let total = UInt32(all.count)
            func range(_ i: Int) -> UnsafeRawBufferPointer {
                let end = i + 1 < starts.count ? starts[i + 1] : total
                return UnsafeRawBufferPointer(rebasing: all[Int(starts[i])..<Int(end)])
            }
            var order = Array(0..<UInt32(starts.count))
            order.sort { Self.lmdbOrder(range(Int($0)), range(Int($1))) < 0 }
            var previous: UnsafeRawBufferPointer?
            for i in order {
                let key = range(Int(i))
                if let previous, Self.lmdbOrder(previous, key) == 0 { continue }
                try body(key)
                previous = key
            }
        }
    }

    /// LMDB's default key order: `memcmp` over the shorter length, then the shorter key first.
    static func lmdbOrder(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}
