public import JSON

/// One profile as a bulk snapshot carries it (an import line): `{"id", "attributes", "segments", "consent",
/// "events"}`, validated against the bundle's schema and segments. Only the parts the line names are set;
/// ``profile(over:mode:)`` combines them with the stored profile.
public struct ProfileSnapshot: Sendable {
    /// How an import line combines with the stored profile.
    public enum Mode: String, Sendable, CaseIterable {
        /// The line's attributes, segments, consent and new events are applied on top of the stored profile;
        /// everything the line does not name is kept.
        case merge
        /// The line's attributes, segments and consent replace the stored ones (and its `events`, when given,
        /// rebuild the behaviour). The stored seq, and the score and expiry of memberships the line keeps,
        /// stay.
        case replace
    }

    /// The user id (profile key).
    public var id: String
    /// Attribute values (a `.null` value: no value), or `nil` when the line has no `attributes`.
    public var attributes: [(id: UInt16, value: StoredValue)]?
    /// Explicit segment ids, or `nil` when the line has no `segments`.
    public var segmentIDs: [UInt16]?
    /// Personalization consent, or `nil` when the line records none.
    public var consent: Bool?
    /// Behavioural events (`event` operations, each with its time), or `nil` when the line has no `events`.
    public var events: [ProfileDelta.Operation]?

    /// A snapshot with the given parts.
    public init(
        id: String, attributes: [(id: UInt16, value: StoredValue)]? = nil, segmentIDs: [UInt16]? = nil,
        consent: Bool? = nil, events: [ProfileDelta.Operation]? = nil
    ) {
        self.id = id
        self.attributes = attributes
        self.segmentIDs = segmentIDs
        self.consent = consent
        self.events = events
    }

    /// Validates one import line against `bundle`. Every problem names its field (`attributes.age_band`,
    /// `segments[1]`, `events[0].ts`).
    public static func parse(_ json: JSONValue, bundle: CompiledBundle) throws(ProfileInput.Rejection)
        -> ProfileSnapshot
    {
        typealias Rejection = ProfileInput.Rejection
        guard case .object(let members) = json else {
            throw Rejection(field: "(line)", message: "expected a JSON object")
        }
        var snapshot = ProfileSnapshot(id: "")
        var sawID = false
        for (key, value) in members {
            switch key {
            case "id":
                guard case .string(let s) = value, !s.isEmpty, s.utf8.count <= 256 else {
                    throw Rejection(field: "id", message: "expected a non-empty string of at most 256 bytes")
                }
                snapshot.id = s
                sawID = true
            case "attributes":
                guard case .object(let attrs) = value else {
                    throw Rejection(field: "attributes", message: "expected an object")
                }
                var attributes: [(id: UInt16, value: StoredValue)] = []
                for (name, v) in attrs {
                    guard let def = bundle.schema.attribute(named: name) else {
                        throw Rejection(
                            field: "attributes.\(name)",
                            message: "not in schema.yaml (only schema attributes are stored)")
                    }
                    switch def.type.validate(v) {
                    case .success(let stored): attributes.append((def.id, stored))
                    case .failure(let mismatch):
                        throw Rejection(
                            field: "attributes.\(name)",
                            message: "expected \(mismatch.detail), got \(ProfileInput.describe(v))")
                    }
                }
                snapshot.attributes = attributes
            case "segments":
                guard case .array(let list) = value else {
                    throw Rejection(field: "segments", message: "expected an array of segment ids")
                }
                var ids: [UInt16] = []
                for (i, s) in list.enumerated() {
                    guard case .string(let name) = s else {
                        throw Rejection(field: "segments[\(i)]", message: "expected a segment id string")
                    }
                    guard let def = bundle.segments.first(where: { $0.name == name }) else {
                        throw Rejection(
                            field: "segments[\(i)]", message: "unknown segment '\(name)' (not in segments.yaml)")
                    }
                    ids.append(def.id)
                }
                snapshot.segmentIDs = ids
            case "consent":
                guard case .object(let c) = value else {
                    throw Rejection(field: "consent", message: "expected an object")
                }
                for (purpose, granted) in c {
                    guard case .bool(let b) = granted else {
                        throw Rejection(field: "consent.\(purpose)", message: "expected true or false")
                    }
                    if purpose == "personalization" { snapshot.consent = b }
                }
            case "events":
                guard case .array(let list) = value else {
                    throw Rejection(field: "events", message: "expected an array of events")
                }
                guard list.count <= ProfileDelta.maxOperations else {
                    throw Rejection(field: "events", message: "at most \(ProfileDelta.maxOperations) events per line")
                }
                var events: [ProfileDelta.Operation] = []
                events.reserveCapacity(list.count)
                for (i, e) in list.enumerated() {
                    let field = "events[\(i)]"
                    guard case .object(let eventMembers) = e else {
                        throw Rejection(
                            field: field, message: #"expected an event object {"type", "ts", "properties"}"#)
                    }
                    for (k, _) in eventMembers where k != "type" && k != "ts" && k != "properties" {
                        throw Rejection(
                            field: "\(field).\(k)", message: "unknown field '\(k)' (expected properties, ts, type)")
                    }
                    events.append(try ProfileDelta.Operation.event(e, field: field, requireTime: true))
                }
                snapshot.events = events
            default:
                throw Rejection(
                    field: key, message: "unknown field (expected id, attributes, segments, consent, events)")
            }
        }
        guard sawID else { throw Rejection(field: "id", message: "missing") }
        return snapshot
    }
}
