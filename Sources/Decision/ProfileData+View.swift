extension ProfileData {
    /// The owned form of a stored record (either format), for changing and re-encoding it.
    public init(_ view: ProfileView) {
        self.init(version: view.version, consent: view.consent, segmentIDs: [], attributes: [])
        seq = view.seq
        memberships = (0..<view.explicitSegmentCount).map { i in
            SegmentMembership(
                id: view.explicitSegment(at: i), score: view.explicitSegmentScore(at: i),
                expiresAt: view.explicitSegmentExpiry(at: i))
        }
        for i in 0..<view.attributeCountStored {
            let (id, value) = view.attribute(at: i)
            attributes.append((id, StoredValue(value)))
        }
        if let b = view.behaviour { behaviour = BehaviourState(b) }
    }
}

extension StoredValue {
    /// The owned form of a value read in place.
    init(_ value: AttributeValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = .number(n)
        case .string(let s): self = .string(String(decoding: s, as: UTF8.self))
        case .list(let l):
            if l.isNumbers {
                self = .numberList(
                    (0..<l.count).map { i in
                        if case .number(let n) = l.element(at: i) { return n }
                        return .nan
                    })
            } else {
                self = .stringList(
                    (0..<l.count).map { i in
                        if case .string(let s) = l.element(at: i) { return String(decoding: s, as: UTF8.self) }
                        return ""
                    })
            }
        }
    }
}

extension BehaviourState {
    /// The owned form of a behaviour section.
    init(_ view: BehaviourView) {
        self.init()
        firstSeen = view.firstSeen
        lastSeen = view.lastSeen
        orderCount = view.orderCount
        orderValue = view.orderValue
        lastOrderAt = view.lastOrderAt
        cart.updatedAt = view.cartUpdatedAt
        if case .stringList(let skus)? = view.cartSKUs.map({ StoredValue(.list($0)) }),
            case .numberList(let quantities)? = view.cartQuantities.map({ StoredValue(.list($0)) }),
            case .numberList(let prices)? = view.cartPrices.map({ StoredValue(.list($0)) }),
            skus.count == quantities.count, skus.count == prices.count
        {
            cart.skus = skus
            cart.quantities = quantities
            cart.prices = prices
        }
        for i in 0..<view.eventTypeCount {
            guard let e = view.event(at: i) else { break }
            var counter = EventCounter(type: String(decoding: e.typeBytes, as: UTF8.self))
            counter.count = e.count
            counter.firstAt = e.firstAt
            counter.lastAt = e.lastAt
            counter.lastProperties = String(decoding: e.lastProperties, as: UTF8.self)
            counter.newestDay = Int32(clamping: e.newestDay)
            counter.buckets = (0..<EventCounter.windowDays).map { e.bucket($0) }
            events.append(counter)
        }
    }
}
