import LMDB

extension ProfileReader.Snapshot {
    /// The seq held by `user`'s erasure tombstone (kept by `writer`), or `nil` when the user was never erased.
    public func tombstoneSeq(_ user: String, writer: DeltaWriter) throws -> UInt64? {
        guard let raw = try txn.get(writer.tombstones, key: user), raw.count >= 8 else { return nil }
        return raw.loadUnaligned(as: UInt64.self).littleEndian
    }
}
