public import JSON

/// Turns one profile as upstream systems send it (`{"id", "attributes", "segments", "consent", "events"}`)
/// into ``ProfileData``, enforcing the bundle's schema (data minimization) and segment list.
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

    /// Validates `json` (an import line, see ``ProfileSnapshot``) against `bundle` and returns the user id and
    /// the profile it describes on its own (version `version`, no stored profile underneath).
    public static func parse(_ json: JSONValue, bundle: CompiledBundle, version: UInt64) throws(Rejection)
        -> (id: String, profile: ProfileData)
    {
        let snapshot = try ProfileSnapshot.parse(json, bundle: bundle)
        var profile = try snapshot.profile(over: nil, mode: .replace)
        profile.version = version
        return (snapshot.id, profile)
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
