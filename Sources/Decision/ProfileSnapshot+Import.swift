extension ProfileSnapshot {
    /// The profile to store for this line, given the stored one (`nil`: none). Keeps `version` and `seq` of
    /// `stored` (import never lowers, or sets, the delta seq); the caller decides whether anything changed.
    ///
    /// - **merge**: the line's attributes are set (a `null` value removes one), its segments are added
    ///   (a segment already stored keeps its score and expiry), its consent, when recorded, is set; memberships,
    ///   attributes and behaviour the line does not name stay.
    /// - **replace**: attributes, segments and consent become the line's (a missing field: none). A segment
    ///   the line lists that was already stored keeps its score and expiry, since the import format cannot
    ///   carry them.
    /// - **events** go through the same code path as a delta's `event` operations. With merge, an event at or
    ///   before the stored last time of its type counts as already recorded and is skipped, so a rerun of the
    ///   same file changes nothing; with replace, a line with `events` rebuilds the behaviour from them. A line
    ///   without `events` keeps the stored behaviour in both modes.
    public func profile(over stored: ProfileData?, mode: Mode) throws(ProfileInput.Rejection) -> ProfileData {
        var profile = stored ?? ProfileData(version: 0, consent: nil, segmentIDs: [], attributes: [])
        let previous = profile.memberships
        switch mode {
        case .merge:
            for (id, value) in attributes ?? [] { profile.setAttribute(id, value == .null ? nil : value) }
            for id in segmentIDs ?? [] where !profile.memberships.contains(where: { $0.id == id }) {
                profile.memberships.append(SegmentMembership(id: id))
            }
            if let consent { profile.consent = consent }
        case .replace:
            profile.attributes = attributes ?? []
            profile.memberships = (segmentIDs ?? []).map { id in
                previous.last { $0.id == id } ?? SegmentMembership(id: id)
            }
            profile.consent = consent
        }
        guard let events else { return profile }
        if mode == .replace { profile.behaviour = BehaviourState() }
        // With merge, events at or before the stored last time of their type were already recorded.
        let recorded = profile.behaviour.events
        var kept: [ProfileDelta.Operation] = []
        var positions: [Int] = []
        kept.reserveCapacity(events.count)
        for (i, op) in events.enumerated() {
            if mode == .merge, case .event(let type, _, let time) = op,
                case .found(let at) = recorded.binarySearch(type), time <= recorded[at].lastAt
            {
                continue
            }
            kept.append(op)
            positions.append(i)
        }
        guard !kept.isEmpty else { return profile }
        do {
            try profile.apply(ProfileDelta(user: id, seq: nil, operations: kept), at: .nan)
        } catch {
            // The delta path names `ops[k]` of the kept events; report the line's own index.
            let k = error.field.dropFirst(4).prefix { $0.isNumber }
            let index = Int(k).flatMap { positions.indices.contains($0) ? positions[$0] : nil } ?? 0
            throw ProfileInput.Rejection(field: "events[\(index)].type", message: error.message)
        }
        return profile
    }
}
