public import JSON
import Targeting

/// Turns Segment Spec calls (`identify`, `track`, `page`, and `batch` of them; the format Segment,
/// RudderStack and others send to webhook destinations) into ``ProfileDelta``s.
///
/// - `identify` traits named like schema attributes become `set` operations (checked against the schema;
///   other traits are not stored and are listed as ignored). A boolean trait named like an assigned segment
///   (an Engage/Personas audience) adds or removes that membership.
/// - `track` becomes an event: the name in snake case (`Order Completed` → `order_completed`), with the
///   e-commerce names `Product Added`/`Product Removed` mapped to `add_to_cart`/`remove_from_cart`.
///   `Audience Entered`/`Audience Exited` (with `properties.audience_key`) add or remove a membership.
/// - `page` becomes a `page` event with the page name among its properties.
///
/// Messages carry no per-user seq: `messageId` deduplicates instead.
public enum SegmentSpecMessage {
    /// One converted message: the delta, and the traits that were not stored.
    public struct Converted: Sendable {
        /// The delta to apply.
        public var delta: ProfileDelta
        /// Traits not in the schema (data minimization: not stored).
        public var ignoredTraits: [String]
    }

    /// The calls of `json`: a single call, or every call of a `batch`.
    public static func calls(_ json: JSONValue) -> [JSONValue] {
        if case .array(let list)? = json["batch"] { return list }
        return [json]
    }

    /// Converts one call, or says which field is wrong.
    public static func convert(_ call: JSONValue, bundle: CompiledBundle) throws(ProfileInput.Rejection) -> Converted {
        func reject(_ field: String, _ message: String) -> ProfileInput.Rejection {
            ProfileInput.Rejection(field: field, message: message)
        }
        guard case .object = call else { throw reject("(message)", "expected a JSON object") }
        guard case .string(let type)? = call["type"] else { throw reject("type", "missing: identify, track or page") }
        var user: String?
        if case .string(let u)? = call["userId"], !u.isEmpty { user = u }
        if user == nil, case .string(let u)? = call["anonymousId"], !u.isEmpty { user = u }
        guard let user, user.utf8.count <= 256 else {
            throw reject("userId", "missing: a userId or anonymousId of at most 256 bytes")
        }
        guard case .string(let messageID)? = call["messageId"], !messageID.isEmpty, messageID.utf8.count <= 200 else {
            throw reject("messageId", "missing: every message needs a messageId (it deduplicates redeliveries)")
        }
        var time = Double.nan
        if let ts = call["timestamp"] ?? call["sentAt"] { time = try ProfileDelta.parseTime(ts, field: "timestamp") }
        func segmentID(_ name: String) -> UInt16? { bundle.segments.first { $0.name == name }?.id }

        var ops: [ProfileDelta.Operation] = []
        var ignored: [String] = []
        switch type {
        case "identify":
            guard case .object(let traits)? = call["traits"] ?? .object([]) else {
                throw reject("traits", "expected an object")
            }
            for (name, value) in traits {
                if let def = bundle.schema.attribute(named: name) {
                    switch def.type.validate(value) {
                    case .success(let stored): ops.append(.set(attribute: def.id, value: stored))
                    case .failure(let m):
                        throw reject(
                            "traits.\(name)",
                            "attribute '\(name)' expects \(m.detail), got \(ProfileInput.describe(value))")
                    }
                } else if let id = segmentID(name), case .bool(let member) = value {
                    ops.append(
                        member ? .addSegment(id: id, score: nil, expiresAt: nil, ttl: nil) : .removeSegment(id: id))
                } else {
                    ignored.append(name)
                }
            }
        case "track":
            guard case .string(let event)? = call["event"], !event.isEmpty else { throw reject("event", "missing") }
            let properties = call["properties"] ?? .object([])
            guard case .object = properties else { throw reject("properties", "expected an object") }
            if event == "Audience Entered" || event == "Audience Exited" {
                guard case .string(let key)? = properties["audience_key"] else {
                    throw reject("properties.audience_key", "missing: the audience (segment) id")
                }
                guard let id = segmentID(key) else {
                    throw reject("properties.audience_key", "unknown segment '\(key)' (not in segments.yaml)")
                }
                ops.append(
                    event == "Audience Entered"
                        ? .addSegment(id: id, score: nil, expiresAt: nil, ttl: nil) : .removeSegment(id: id))
            } else {
                ops.append(.event(type: eventType(event), properties: properties, time: .nan))
            }
        case "page", "screen":
            var properties: [(key: String, value: JSONValue)] = []
            if case .object(let p)? = call["properties"] { properties = p }
            if let name = call["name"] { properties.append(("name", name)) }
            ops.append(.event(type: type, properties: .object(properties), time: .nan))
        default:
            throw reject("type", "unsupported call '\(type)' (identify, track, page, screen and batch are)")
        }
        return Converted(
            delta: ProfileDelta(user: user, seq: nil, time: time, operations: ops, dedupeKey: messageID),
            ignoredTraits: ignored)
    }

    /// `Order Completed` → `order_completed`; e-commerce cart events → the cart's event types.
    static func eventType(_ name: String) -> String {
        switch name {
        case "Product Added": return BehaviourState.addToCart
        case "Product Removed": return BehaviourState.removeFromCart
        default:
            let snake = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
            return String(String(snake).prefix(64))
        }
    }
}
