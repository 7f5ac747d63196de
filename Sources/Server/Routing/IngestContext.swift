import Store

/// What every loop's router shares for writes: the one profile writer and the access check.
struct IngestContext: Sendable {
    /// The group-committing profile writer.
    let writer: DeltaWriter
    /// Who may call the delta, ingest and profile endpoints.
    let access: IngestAccess
}
