import Foundation
import JSON

/// GrowthBook's SDK test corpus (`Corpus/cases.json`), loaded once.
enum Corpus {
    static let cases: JSONValue = {
        guard let url = Bundle.module.url(forResource: "cases", withExtension: "json", subdirectory: "Corpus"),
            let data = try? Data(contentsOf: url),
            let value = try? JSONValue.parse(String(decoding: data, as: UTF8.self))
        else { fatalError("Corpus/cases.json is missing or malformed") }
        return value
    }()

    /// The array under `key`.
    static func section(_ key: String) -> [JSONValue] {
        guard case .array(let items)? = cases[key] else { fatalError("corpus section \(key) missing") }
        return items
    }

    /// Parses JSON text written in a test.
    static func json(_ text: String) -> JSONValue {
        do { return try JSONValue.parse(text) } catch { fatalError("bad test JSON \(text): \(error)") }
    }
}

extension JSONValue {
    /// The elements of an array (empty otherwise).
    var items: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    var stringValue: String {
        if case .string(let s) = self { return s }
        return ""
    }

    var doubleValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    var boolean: Bool {
        if case .bool(let b) = self { return b }
        return false
    }
}
