import Synchronization

/// Parsed YAML files by file name and exact text, shared by every compile in the process.
///
/// A CMS publish usually changes one template, yet every publish compiles the whole bundle; parsing the
/// unchanged mapping files again was about a third of a publish's CPU (perf, 100 publishes/s). The text is
/// part of the key, so an edited file is always parsed afresh.
enum YAMLDocumentCache {
    /// Entries kept before the cache starts over (each holds one file's text and tree).
    static let capacity = 256

    private struct Key: Hashable {
        let file: String
        let text: String
    }

    private static let entries = Mutex<[Key: Result<YAMLDocument, CompileProblem>]>([:])

    /// The document for `text`, parsed once per distinct (file, text).
    static func document(file: String, text: String) -> Result<YAMLDocument, CompileProblem> {
        let key = Key(file: file, text: text)
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let parsed = Result { () throws(CompileProblem) in try YAMLDocument(file: file, text: text) }
        entries.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = parsed
        }
        return parsed
    }
}
