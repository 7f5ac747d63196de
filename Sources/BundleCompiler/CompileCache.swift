import Synchronization
import Templating

/// Results of a compile step by their exact input, shared by every compile in the process.
///
/// A CMS publish usually changes one file, yet every publish compiles the whole bundle: parsing the
/// unchanged mapping files again was about a third of a publish's CPU (perf, 100 publishes/s), and
/// compiling unchanged templates a tenth. The whole input is the key, so anything edited is compiled
/// afresh. Past `capacity` entries the cache starts over.
final class CompileCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let capacity: Int
    private let entries = Mutex<[Key: Value]>([:])

    init(capacity: Int) { self.capacity = capacity }

    /// The value for `key`, computed by `make` once per distinct key (two racing callers may both compute).
    func value(for key: Key, make: () -> Value) -> Value {
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let made = make()
        entries.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = made
        }
        return made
    }
}

/// Parsed YAML files by file name and text.
enum YAMLDocumentCache {
    private struct Key: Hashable, Sendable {
        let file: String
        let text: String
    }

    private static let cache = CompileCache<Key, Result<YAMLDocument, CompileProblem>>(capacity: 256)

    /// The document for `text`, parsed once per distinct (file, text).
    static func document(file: String, text: String) -> Result<YAMLDocument, CompileProblem> {
        cache.value(for: Key(file: file, text: text)) {
            Result { () throws(CompileProblem) in try YAMLDocument(file: file, text: text) }
        }
    }
}

/// Compiled template libraries by their sources (every template's id and text).
enum TemplateLibraryCache {
    private static let cache = CompileCache<[String: String], Result<TemplateLibrary, TemplateCompileErrors>>(
        capacity: 16)

    /// The library for `sources`, compiled once per distinct set of sources.
    static func library(_ sources: [String: String]) -> Result<TemplateLibrary, TemplateCompileErrors> {
        cache.value(for: sources) {
            Result { () throws(TemplateCompileErrors) in try TemplateLibrary.compile(sources) }
        }
    }
}
