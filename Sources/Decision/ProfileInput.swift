public import JSON

/// Turns one profile as upstream systems send it (`{"id", "attributes", "segments", "consent"}`) into
/// ``ProfileData``, enforcing the bundle's schema (data minimization) and segment list.
public enum ProfileInput {
    /// A profile that cannot be stored, with the field at fault.
    public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        /// The offending field, e.g. `attributes.age_band`.
        public var field: String
        /// What is wrong.
        public var message: String
        public var description: String { "\(field): \(message)" }

        /// A rejection of `field`.
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    /// Validates `json` against `bundle` and returns the user id and the profile to store (version `version`).
    public static func parse(_ json: JSONValue, bundle: CompiledBundle, version: UInt64) throws(Rejection)
        -> (id: String, profile: ProfileData)
    {
        guard case .object(let members) = json else {
            throw Rejection(field: "(line)", message: "expected a JSON object")
        }
        var id: String?
        var attributes: [(id: UInt16, value: StoredValue)] = []
        var segmentIDs: [UInt16] = []
        var consent: Bool?
        for (key, value) in members {
            switch key {
            case "id":
                guard case .string(let s) = value, !s.isEmpty, s.utf8.count <= 256 else {
                    throw Rejection(field: "id", message: "expected a non-empty string of at most 256 bytes")
                }
                id = s
            case "attributes":
                guard case .object(let attrs) = value else {
                    throw Rejection(field: "attributes", message: "expected an object")
                }
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
                            message: "expected \(mismatch.expected.rawValue), got \(describe(v))")
                    }
                }
            case "segments":
                guard case .array(let list) = value else {
                    throw Rejection(field: "segments", message: "expected an array of segment ids")
                }
                for (i, s) in list.enumerated() {
                    guard case .string(let name) = s else {
                        throw Rejection(field: "segments[\(i)]", message: "expected a segment id string")
                    }
                    guard let def = bundle.segments.first(where: { $0.name == name }) else {
                        throw Rejection(
                            field: "segments[\(i)]", message: "unknown segment '\(name)' (not in segments.yaml)")
                    }
                    segmentIDs.append(def.id)
                }
            case "consent":
                guard case .object(let c) = value else {
                    throw Rejection(field: "consent", message: "expected an object")
                }
                for (purpose, granted) in c {
                    guard case .bool(let b) = granted else {
                        throw Rejection(field: "consent.\(purpose)", message: "expected true or false")
                    }
                    if purpose == "personalization" { consent = b }
                }
            default:
                throw Rejection(field: key, message: "unknown field (expected id, attributes, segments, consent)")
            }
        }
        guard let id else { throw Rejection(field: "id", message: "missing") }
        return (id, ProfileData(version: version, consent: consent, segmentIDs: segmentIDs, attributes: attributes))
    }

    static func describe(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string(let s): return "the string \"\(s.prefix(40))\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
