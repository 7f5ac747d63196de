import Targeting

extension ProfileData {
    /// Applies every operation of `delta` in order; `now` (epoch seconds) stands in for a delta without
    /// `ts`. All or nothing: on a failure `self` is unchanged. Does not check `seq` (the store does) and
    /// does not bump `version`.
    public mutating func apply(_ delta: ProfileDelta, at now: Double) throws(ProfileInput.Rejection) {
        var next = self
        let time = delta.time.isNaN ? now : delta.time
        for (i, op) in delta.operations.enumerated() {
            switch op {
            case .set(let id, let value):
                next.setAttribute(id, value == .null ? nil : value)
            case .unset(let id):
                next.setAttribute(id, nil)
            case .increment(let id, let by):
                var current = 0.0
                if case .number(let n)? = next.attribute(id) { current = n }
                next.setAttribute(id, .number(current + by))
            case .append(let id, let element, let max):
                next.setAttribute(id, Self.appending(element, to: next.attribute(id), max: max))
            case .remove(let id, let element):
                switch (next.attribute(id), element) {
                case (.stringList(let list)?, .string(let s)):
                    next.setAttribute(id, .stringList(list.filter { $0 != s }))
                case (.numberList(let list)?, .number(let n)):
                    next.setAttribute(id, .numberList(list.filter { $0 != n }))
                default: break
                }
            case .addSegment(let id, let score, let expiresAt, let ttl):
                next.memberships.removeAll { $0.id == id }
                next.memberships.append(
                    SegmentMembership(id: id, score: score, expiresAt: expiresAt ?? ttl.map { Timestamp.clamped(time + $0) }))
            case .removeSegment(let id):
                next.memberships.removeAll { $0.id == id }
            case .event(let type, let properties, let eventTime):
                guard next.behaviour.record(type: type, at: eventTime.isNaN ? time : eventTime, properties: properties)
                else {
                    throw ProfileInput.Rejection(
                        field: "ops[\(i)].type",
                        message: "the profile already has \(BehaviourState.maxEventTypes) event types")
                }
            case .consent(let granted):
                next.consent = granted
            }
        }
        if let seq = delta.seq { next.seq = Swift.max(next.seq, seq) }
        self = next
    }

    /// `current` with `element` appended, keeping the last `max` elements (and never more than
    /// ``AttributeType/maxListElements``, so no stream of appends grows a record without bound).
    static func appending(_ element: StoredValue, to current: StoredValue?, max: Int?) -> StoredValue {
        let max = Swift.min(max ?? AttributeType.maxListElements, AttributeType.maxListElements)
        switch element {
        case .string(let s):
            var list: [String] = []
            if case .stringList(let l)? = current { list = l }
            list.append(s)
            if list.count > max { list.removeFirst(list.count - max) }
            return .stringList(list)
        case .number(let n):
            var list: [Double] = []
            if case .numberList(let l)? = current { list = l }
            list.append(n)
            if list.count > max { list.removeFirst(list.count - max) }
            return .numberList(list)
        default:
            return current ?? .null
        }
    }
}
