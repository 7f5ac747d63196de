public import Decision
import JSON
import LMDB

/// Imports NDJSON profiles (`{"id", "attributes", "segments", "consent"}` per line) in batched write
/// transactions. A bad line is reported with its number and skipped; the rest are imported.
public struct ProfileImporter {
    /// What one import did.
    public struct Summary: Sendable {
        /// Lines stored.
        public var imported = 0
        /// Lines rejected, with `line: field: message`.
        public var rejected: [String] = []
    }

    let store: DataStore
    let bundle: CompiledBundle
    /// Profiles per write transaction.
    public var batchSize = 10_000

    /// An importer validating against `bundle`.
    public init(store: DataStore, bundle: CompiledBundle) {
        self.store = store
        self.bundle = bundle
    }

    /// Imports every line `nextLine` yields (nil ends). `progress` is called after each committed batch
    /// with the number of lines read so far.
    public func run(lines nextLine: () throws -> [UInt8]?, progress: (Int) -> Void = { _ in }) throws -> Summary {
        var summary = Summary()
        var lineNumber = 0
        var batch: [(key: [UInt8], value: [UInt8])] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let txn = try WriteTransaction(store.environment)
            for (k, v) in batch {
                // Keep versions increasing across re-imports: the new record's version follows the stored one.
                var value = v
                if let old = try k.withUnsafeBytes({ try txn.get(store.profiles, key: $0) }),
                    let view = ProfileView(old)
                {
                    let version = view.version + 1
                    withUnsafeBytes(of: version.littleEndian) { value.replaceSubrange(4..<12, with: $0) }
                }
                try txn.put(store.profiles, key: k, value: value)
            }
            try txn.commit()
            summary.imported += batch.count
            batch.removeAll(keepingCapacity: true)
            progress(lineNumber)
        }
        while let line = try nextLine() {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                let json = try line.withUnsafeBytes { try JSONValue.parse($0) }
                let (id, profile) = try ProfileInput.parse(json, bundle: bundle, version: 1)
                batch.append((Array(id.utf8), profile.encode()))
            } catch let e as JSONParseError {
                summary.rejected.append("line \(lineNumber):\(e.column): invalid JSON: \(e.message)")
            } catch let e as ProfileInput.Rejection {
                summary.rejected.append("line \(lineNumber): \(e.field): \(e.message)")
            }
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        return summary
    }
}
