import Foundation

/// The source text of a bundle: templates by id and mapping files by path. Loaded from `Templates/` and
/// `Mappings/` by ``load(templates:mappings:)``; a CMS publish builds the same value from a webhook body, so
/// both go through one compiler.
public struct BundleSources: Sendable, Codable, Equatable {
    /// Template source by id (`hero/vip` for `Templates/hero/vip.mustache`).
    public var templates: [String: String]
    /// `Mappings/schema.yaml`.
    public var schema: String
    /// `Mappings/segments.yaml`.
    public var segments: String
    /// Slot files by path relative to the bundle root (`Mappings/slots/home.hero.yaml`), compiled in path order.
    public var slots: [String: String]

    /// Sources with the given parts.
    public init(templates: [String: String], schema: String, segments: String, slots: [String: String]) {
        self.templates = templates
        self.schema = schema
        self.segments = segments
        self.slots = slots
    }

    /// Reads every `*.mustache` under `templates` and the mapping files under `mappings`.
    public static func load(templates: String, mappings: String) throws -> BundleSources {
        let fm = FileManager.default
        var templateSources: [String: String] = [:]
        let root = URL(fileURLWithPath: templates).standardizedFileURL
        guard let walker = fm.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw CompileProblems(problems: [
                CompileProblem(file: templates, line: 0, column: 0, message: "cannot read the templates directory")
            ])
        }
        for case let url as URL in walker where url.pathExtension == "mustache" {
            let full = url.standardizedFileURL.path
            let relative = String(full.dropFirst(root.path.count + 1).dropLast(".mustache".count))
            templateSources[relative] = try String(contentsOf: url, encoding: .utf8)
        }
        func read(_ path: String) throws -> String {
            guard fm.fileExists(atPath: path) else {
                throw CompileProblems(problems: [
                    CompileProblem(file: path, line: 0, column: 0, message: "file not found")
                ])
            }
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        var slots: [String: String] = [:]
        let slotDir = mappings + "/slots"
        for name in (try? fm.contentsOfDirectory(atPath: slotDir)) ?? []
        where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            slots["Mappings/slots/" + name] = try read(slotDir + "/" + name)
        }
        return BundleSources(
            templates: templateSources, schema: try read(mappings + "/schema.yaml"),
            segments: try read(mappings + "/segments.yaml"), slots: slots)
    }
}
