public import JSON
import Targeting

extension ProfileDelta {
    /// Validates one delta as sent to `POST /v1/profiles/deltas` against `bundle`. Every problem names its
    /// field (`ops[2].path`, `seq`) and, for attributes, the attribute.
    public static func parse(_ json: JSONValue, bundle: CompiledBundle) throws(ProfileInput.Rejection) -> ProfileDelta {
        func reject(_ field: String, _ message: String) -> ProfileInput.Rejection {
            ProfileInput.Rejection(field: field, message: message)
        }
        guard case .object(let members) = json else { throw reject("(delta)", "expected a JSON object") }
        var user: String?
        var seq: UInt64?
        var time = Double.nan
        var ops: [JSONValue]?
        for (key, value) in members {
            switch key {
            case "user":
                guard case .string(let s) = value, !s.isEmpty, s.utf8.count <= 256 else {
                    throw reject("user", "expected a non-empty string of at most 256 bytes")
                }
                user = s
            case "seq":
                guard case .number(let n) = value, let s = ProfileDelta.seq(n) else {
                    throw reject(
                        "seq",
                        "expected a whole number from 1 to \(ProfileDelta.maxSeq) (the upstream's per-user sequence number)")
                }
                seq = s
            case "ts":
                time = try parseTime(value, field: "ts")
            case "ops":
                guard case .array(let list) = value else { throw reject("ops", "expected an array of operations") }
                guard list.count <= maxOperations else {
                    throw reject("ops", "at most \(maxOperations) operations per delta")
                }
                ops = list
            default:
                throw reject(key, "unknown field '\(key)' (expected user, seq, ts, ops)")
            }
        }
        guard let user else { throw reject("user", "missing") }
        guard let seq else { throw reject("seq", "missing: every delta needs the upstream's per-user seq") }
        guard let ops else { throw reject("ops", "missing") }
        var operations: [Operation] = []
        for (i, op) in ops.enumerated() {
            operations.append(try Operation.parse(op, field: "ops[\(i)]", bundle: bundle))
        }
        return ProfileDelta(user: user, seq: seq, time: time, operations: operations)
    }

    /// An ISO-8601 string or epoch seconds, in the years 0001-9999 (``Timestamp``).
    static func parseTime(_ value: JSONValue, field: String) throws(ProfileInput.Rejection) -> Double {
        switch value {
        case .string(let s):
            if let t = Timestamp(iso8601: s) { return t.seconds }
        case .number(let n):
            if let t = Timestamp(seconds: n) { return t.seconds }
        default: break
        }
        throw ProfileInput.Rejection(
            field: field,
            message:
                "expected an ISO-8601 time such as 2026-11-25T10:00:00Z, or epoch seconds, in the years 0001-9999")
    }
}

extension ProfileDelta.Operation {
    /// Validates one operation object at `field` (e.g. `ops[0]`).
    static func parse(_ json: JSONValue, field: String, bundle: CompiledBundle) throws(ProfileInput.Rejection)
        -> ProfileDelta.Operation
    {
        func reject(_ sub: String, _ message: String) -> ProfileInput.Rejection {
            ProfileInput.Rejection(field: sub.isEmpty ? field : "\(field).\(sub)", message: message)
        }
        guard case .object(let members) = json else { throw reject("", "expected an operation object") }
        guard case .string(let op)? = json["op"] else {
            throw reject(
                "op",
                "missing: one of set, unset, increment, append, remove, add_segment, remove_segment, event, consent")
        }
        func allow(_ keys: Set<String>) throws(ProfileInput.Rejection) {
            for (k, _) in members where k != "op" && !keys.contains(k) {
                throw reject(k, "unknown field '\(k)' for '\(op)' (expected \(keys.sorted().joined(separator: ", ")))")
            }
        }
        func attribute() throws(ProfileInput.Rejection) -> AttributeDefinition {
            guard case .string(let path)? = json["path"] else {
                throw reject("path", "missing: the attribute to change")
            }
            guard let def = bundle.schema.attribute(named: path) else {
                throw reject(
                    "path", "attribute '\(path)' is not in schema.yaml (only schema attributes are stored)")
            }
            return def
        }
        func segment() throws(ProfileInput.Rejection) -> UInt16 {
            guard case .string(let name)? = json["id"] else { throw reject("id", "missing: the segment id") }
            guard let def = bundle.segments.first(where: { $0.name == name }) else {
                throw reject("id", "unknown segment '\(name)' (not in segments.yaml)")
            }
            return def.id
        }
        func mismatch(_ def: AttributeDefinition, _ v: JSONValue, expected: String? = nil)
            -> ProfileInput.Rejection
        {
            reject(
                "value",
                "attribute '\(def.name)' expects \(expected ?? def.type.rawValue), got \(ProfileInput.describe(v))")
        }
        switch op {
        case "set":
            try allow(["path", "value"])
            let def = try attribute()
            guard let v = json["value"] else { throw reject("value", "missing") }
            switch def.type.validate(v) {
            case .success(let stored): return .set(attribute: def.id, value: stored)
            case .failure(let m): throw mismatch(def, v, expected: m.detail)
            }
        case "unset":
            try allow(["path"])
            return .unset(attribute: try attribute().id)
        case "increment":
            try allow(["path", "by"])
            let def = try attribute()
            guard def.type == .number || def.type == .integer else {
                throw reject("path", "attribute '\(def.name)' is \(def.type.rawValue); only numbers can be incremented")
            }
            guard case .number(let by)? = json["by"], by.isFinite else { throw reject("by", "expected a number") }
            if def.type == .integer, by != by.rounded() {
                throw reject("by", "attribute '\(def.name)' is an integer; 'by' must be whole")
            }
            return .increment(attribute: def.id, by: by)
        case "append", "remove":
            try allow(op == "append" ? ["path", "value", "max"] : ["path", "value"])
            let def = try attribute()
            guard let v = json["value"] else { throw reject("value", "missing") }
            let element: StoredValue
            switch (def.type, v) {
            case (.stringList, .string(let s)) where s.utf8.count <= AttributeType.maxStringBytes: element = .string(s)
            case (.numberList, .number(let n)): element = .number(n)
            case (.stringList, _):
                throw mismatch(def, v, expected: "a string element of at most \(AttributeType.maxStringBytes) bytes")
            case (.numberList, _): throw mismatch(def, v, expected: "a number element")
            default:
                throw reject("path", "attribute '\(def.name)' is \(def.type.rawValue), not a list")
            }
            if op == "remove" { return .remove(attribute: def.id, element: element) }
            var max: Int?
            if let m = json["max"] {
                guard case .number(let n) = m, n >= 1, n == n.rounded(), n <= Double(AttributeType.maxListElements) else {
                    throw reject("max", "expected a whole number of elements from 1 to \(AttributeType.maxListElements)")
                }
                max = Int(n)
            }
            return .append(attribute: def.id, element: element, max: max)
        case "add_segment":
            try allow(["id", "score", "expires_at", "ttl"])
            let id = try segment()
            var score: Double?
            if let s = json["score"] {
                guard case .number(let n) = s, n.isFinite else { throw reject("score", "expected a number") }
                score = n
            }
            var expiresAt: Double?
            var ttl: Double?
            if let e = json["expires_at"] { expiresAt = try ProfileDelta.parseTime(e, field: "\(field).expires_at") }
            if let t = json["ttl"] {
                switch t {
                case .number(let n) where n > 0 && n <= Timestamp.maxDuration: ttl = n
                case .string(let s) where Timestamp.duration(s) != nil: ttl = Timestamp.duration(s)
                default:
                    throw reject(
                        "ttl", "expected seconds or a duration such as \"7d\", positive and at most 10,000 years")
                }
            }
            if expiresAt != nil, ttl != nil { throw reject("ttl", "give expires_at or ttl, not both") }
            return .addSegment(id: id, score: score, expiresAt: expiresAt, ttl: ttl)
        case "remove_segment":
            try allow(["id"])
            return .removeSegment(id: try segment())
        case "event":
            try allow(["type", "properties", "ts"])
            return try event(json, field: field, requireTime: false)
        case "consent":
            try allow(["purpose", "granted"])
            guard case .string(let purpose)? = json["purpose"] else { throw reject("purpose", "missing") }
            guard purpose == "personalization" else {
                throw reject("purpose", "unsupported purpose '\(purpose)' (Tessera records 'personalization')")
            }
            guard case .bool(let granted)? = json["granted"] else { throw reject("granted", "expected true or false") }
            return .consent(granted: granted)
        default:
            throw reject(
                "op",
                "unknown operation '\(op)' (expected set, unset, increment, append, remove, add_segment, remove_segment, event, consent)"
            )
        }
    }

    /// Validates the `type`, `properties` and `ts` members of an event at `field` (a delta's `event`
    /// operation, or an element of an import line's `events`); other members are the caller's to check.
    /// With `requireTime`, a missing `ts` is rejected.
    static func event(_ json: JSONValue, field: String, requireTime: Bool) throws(ProfileInput.Rejection)
        -> ProfileDelta.Operation
    {
        func reject(_ sub: String, _ message: String) -> ProfileInput.Rejection {
            ProfileInput.Rejection(field: "\(field).\(sub)", message: message)
        }
        guard case .string(let type)? = json["type"], !type.isEmpty, type.utf8.count <= 64,
            type.utf8.allSatisfy({ $0 > 0x20 && $0 != UInt8(ascii: ".") && $0 < 0x7F })
        else {
            throw reject("type", "expected an event type of 1 to 64 printable ASCII characters without dots")
        }
        var properties = JSONValue.object([])
        if let p = json["properties"] {
            guard case .object = p else { throw reject("properties", "expected an object") }
            properties = p
        }
        var time = Double.nan
        if let t = json["ts"] {
            time = try ProfileDelta.parseTime(t, field: "\(field).ts")
        } else if requireTime {
            throw reject("ts", "missing: every imported event needs its time (ISO-8601 or epoch seconds)")
        }
        return .event(type: type, properties: properties, time: time)
    }
}
