public import Targeting

/// Where a decision looks up list segment (saved group) membership: the server's per-loop LMDB snapshot,
/// or a test double.
///
/// Called once per tested value during a decide, inside the caller's read snapshot: one keyed lookup,
/// nothing allocated.
public protocol SavedGroupLookup {
    /// Whether list `number` holds `member`; `nil` when the list no longer exists (or cannot be read). With
    /// `member == nil`, only whether it exists: `false` if it does.
    func savedGroup(_ number: Int, contains member: SavedGroupMember?) -> Bool?
    /// See the extension's default (none stored).
    func stickyVariant(user: String, experiment: String) -> (bucketVersion: Int, variant: String)?
}

extension SavedGroupLookup {
    /// The sticky variant stored for `user` in `experiment`: the bucket version it was assigned under and the
    /// variant id, or `nil` when none is stored. The server's snapshot reads its `sticky` table; other lookups
    /// have none.
    public func stickyVariant(user: String, experiment: String) -> (bucketVersion: Int, variant: String)? { nil }
}
