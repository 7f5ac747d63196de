import Decision
import JSON
import NIOCore
import Store

/// The deltas of one `POST /v1/profiles/deltas` body, each validated on its own: NDJSON (one per line,
/// reported by line) or a JSON array (reported by index). A bad entry does not affect its neighbours.
struct DeltaBatch {
    /// Most deltas one request may carry.
    static let maxDeltas = 10_000

    /// One entry of the body.
    struct Entry {
        /// 0-based position in the batch.
        var index: Int
        /// 1-based NDJSON line, `nil` for a JSON array.
        var line: Int?
        /// The user and seq, when the entry had readable ones (for the report).
        var user: String?
        var seq: UInt64?
        /// The delta, or why it was rejected before reaching the store.
        var parsed: Result<ProfileDelta, ProfileInput.Rejection>
    }

    /// Every entry in body order.
    var entries: [Entry] = []

    /// Parses `body`; NDJSON when the content type says so or the body does not start with `[`.
    init(body: ByteBuffer, contentType: String?, bundle: CompiledBundle) throws(APIError) {
        let isArray: Bool
        if let contentType, contentType.contains("ndjson") {
            isArray = false
        } else {
            isArray =
                body.readableBytesView.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
                == UInt8(ascii: "[")
        }
        let result: Result<[Entry], APIError> = body.withUnsafeReadableBytes { raw in
            Result { () throws(APIError) in isArray ? try Self.array(raw, bundle) : try Self.lines(raw, bundle) }
        }
        entries = try result.get()
        guard !entries.isEmpty else {
            throw APIError.badField("(body)", "no deltas: send NDJSON (one delta per line) or a JSON array")
        }
    }

    static func entry(_ json: JSONValue, index: Int, line: Int?, bundle: CompiledBundle) -> Entry {
        var user: String?
        var seq: UInt64?
        if case .string(let u)? = json["user"] { user = u }
        if case .number(let n)? = json["seq"] { seq = ProfileDelta.seq(n) }
        let parsed: Result<ProfileDelta, ProfileInput.Rejection>
        do {
            parsed = .success(try ProfileDelta.parse(json, bundle: bundle))
        } catch {
            parsed = .failure(error)
        }
        return Entry(index: index, line: line, user: user, seq: seq, parsed: parsed)
    }

    static func lines(_ raw: UnsafeRawBufferPointer, _ bundle: CompiledBundle) throws(APIError) -> [Entry] {
        var out: [Entry] = []
        var start = 0
        var line = 0
        while start < raw.count {
            line += 1
            var end = start
            while end < raw.count, raw[end] != 0x0A { end += 1 }
            let bytes = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            start = end + 1
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard out.count < maxDeltas else {
                throw APIError.badField("(body)", "at most \(maxDeltas) deltas per request")
            }
            do {
                let json = try JSONValue.parse(bytes)
                out.append(entry(json, index: out.count, line: line, bundle: bundle))
            } catch {
                out.append(
                    Entry(
                        index: out.count, line: line,
                        parsed: .failure(
                            ProfileInput.Rejection(
                                field: "(line)",
                                message: "invalid JSON at \(line):\(error.column): \(error.message)"))))
            }
        }
        return out
    }

    static func array(_ raw: UnsafeRawBufferPointer, _ bundle: CompiledBundle) throws(APIError) -> [Entry] {
        let json: JSONValue
        do {
            json = try JSONValue.parse(raw)
        } catch {
            throw APIError(
                status: 400, code: "invalid_json",
                message: "request body is not valid JSON at \(error.line):\(error.column): \(error.message)")
        }
        guard case .array(let items) = json else {
            throw APIError.badField("(body)", "expected a JSON array of deltas")
        }
        guard items.count <= maxDeltas else {
            throw APIError.badField("(body)", "at most \(maxDeltas) deltas per request")
        }
        return items.enumerated().map { entry($1, index: $0, line: nil, bundle: bundle) }
    }

    /// The deltas that passed validation, in order.
    var valid: [ProfileDelta] {
        entries.compactMap { try? $0.parsed.get() }
    }

    /// The response body: counts, then one result per entry. `outcomes` are the store's, one per valid delta.
    func report(_ outcomes: [DeltaOutcome]) -> [UInt8] {
        var applied = 0
        var duplicate = 0
        var rejected = 0
        var gaps = 0
        var results: [UInt8] = []
        var next = outcomes.makeIterator()
        for (n, e) in entries.enumerated() {
            if n > 0 { results.append(UInt8(ascii: ",")) }
            results.append(contentsOf: #"{"index":"#.utf8)
            JSONWriter.appendInteger(Int64(e.index), to: &results)
            if let line = e.line {
                results.append(contentsOf: #","line":"#.utf8)
                JSONWriter.appendInteger(Int64(line), to: &results)
            }
            if let user = e.user {
                results.append(contentsOf: #","user":"#.utf8)
                JSONWriter.appendString(user, to: &results)
            }
            if let seq = e.seq {
                results.append(contentsOf: #","seq":"#.utf8)
                JSONWriter.appendInteger(seq, to: &results)
            }
            let outcome: DeltaOutcome
            switch e.parsed {
            case .failure(let r): outcome = .rejected(r)
            case .success: outcome = next.next() ?? .rejected(.init(field: "(delta)", message: "not processed"))
            }
            switch outcome {
            case .applied(let previous, let gap):
                applied += 1
                results.append(contentsOf: #","status":"applied""#.utf8)
                if gap {
                    gaps += 1
                    results.append(contentsOf: #","gap_after":"#.utf8)
                    JSONWriter.appendInteger(previous, to: &results)
                }
            case .duplicate(let stored):
                duplicate += 1
                results.append(contentsOf: #","status":"duplicate","stored_seq":"#.utf8)
                JSONWriter.appendInteger(stored, to: &results)
            case .rejected(let r):
                rejected += 1
                results.append(contentsOf: #","status":"rejected","field":"#.utf8)
                JSONWriter.appendString(r.field, to: &results)
                results.append(contentsOf: #","reason":"#.utf8)
                JSONWriter.appendString(r.message, to: &results)
            }
            results.append(UInt8(ascii: "}"))
        }
        var out: [UInt8] = []
        out.reserveCapacity(results.count + 96)
        out.append(contentsOf: #"{"applied":"#.utf8)
        JSONWriter.appendInteger(Int64(applied), to: &out)
        out.append(contentsOf: #","duplicate":"#.utf8)
        JSONWriter.appendInteger(Int64(duplicate), to: &out)
        out.append(contentsOf: #","rejected":"#.utf8)
        JSONWriter.appendInteger(Int64(rejected), to: &out)
        out.append(contentsOf: #","gaps":"#.utf8)
        JSONWriter.appendInteger(Int64(gaps), to: &out)
        out.append(contentsOf: #","results":["#.utf8)
        out.append(contentsOf: results)
        out.append(contentsOf: "]}\n".utf8)
        return out
    }
}
