import Foundation
import Store

/// A fresh store in a new temporary directory (64 MiB map) and the directory, for the caller to remove.
func makeTemporaryStore() throws -> (DataStore, String) {
    let dir = NSTemporaryDirectory() + "store-test-" + UUID().uuidString
    var options = DataStore.Options()
    options.mapSize = 64 << 20
    return (try DataStore(path: dir, options: options), dir)
}

/// A fresh temporary store for `body`; the directory goes after.
func withTemporaryStore<T>(_ body: (DataStore) throws -> T) throws -> T {
    let (store, dir) = try makeTemporaryStore()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(store)
}
