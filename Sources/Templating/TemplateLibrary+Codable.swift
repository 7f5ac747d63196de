import Foundation

extension TemplateLibrary {
    enum CodingKeys: String, CodingKey {
        case pool, nodes, units, names, ids
    }

    // The literal-text pool is most of a library's bytes; synthesized Codable writes it as one JSON number
    // per byte, which dominated the cost of storing a bundle on every publish. Base64 is one string.

    /// Decodes a stored library.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let pool = Data(base64Encoded: try c.decode(String.self, forKey: .pool)) else {
            throw DecodingError.dataCorruptedError(forKey: .pool, in: c, debugDescription: "pool is not base64")
        }
        self.init(
            pool: [UInt8](pool), nodes: try c.decode([CompiledNode].self, forKey: .nodes),
            units: try c.decode([CompiledUnit].self, forKey: .units),
            names: try c.decode([[String]].self, forKey: .names),
            ids: try c.decode([String: Int32].self, forKey: .ids))
    }

    /// Encodes the library for storage.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Data(pool).base64EncodedString(), forKey: .pool)
        try c.encode(nodes, forKey: .nodes)
        try c.encode(units, forKey: .units)
        try c.encode(names, forKey: .names)
        try c.encode(ids, forKey: .ids)
    }
}
