import JSON

/// Shared values for tests.
enum JSONValueFixtures {
    static let empty = JSONValue.object([])
}
