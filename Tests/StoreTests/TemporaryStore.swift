import Foundation
import Store

/// A fresh store in a new temporary directory (64 MiB map); `body` gets it, and the directory goes after.
func withTemporaryStore<T>(_ body: (DataStore) throws -> T) throws -> T {
    let dir = NSTemporaryDirectory() + "store-test-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var options = DataStore.Options()
    options.mapSize = 64 << 20
    return try body(try DataStore(path: dir, options: options))
}
