public import JSON
import Targeting

extension ProfileData {
    /// Everything stored about the user as JSON (`GET /v1/profiles/{id}`, data portability): attributes and
    /// segments by name (from `bundle`), consent, seq, behaviour with readable times. Memberships report
    /// whether they are active at `now`.
    public func exportJSON(user: String, bundle: CompiledBundle, now: Double) -> JSONValue {
        func time(_ t: Double) -> JSONValue { Timestamp(seconds: t).map { .string($0.iso8601) } ?? .null }
        var attrs: [(key: String, value: JSONValue)] = []
        for (id, value) in attributes.sorted(by: { $0.id < $1.id }) {
            let name = bundle.schema.attributes.first { $0.id == id }?.name ?? "#\(id)"
            attrs.append((name, value.json))
        }
        var segments: [JSONValue] = []
        for m in memberships.sorted(by: { $0.id < $1.id }) {
            var entry: [(key: String, value: JSONValue)] = [
                ("id", .string(bundle.segments.first { $0.id == m.id }?.name ?? "#\(m.id)"))
            ]
            if let s = m.score { entry.append(("score", .number(s))) }
            if let e = m.expiresAt { entry.append(("expires_at", time(e))) }
            entry.append(("active", .bool(m.isActive(at: now))))
            segments.append(.object(entry))
        }
        var consentMembers: [(key: String, value: JSONValue)] = []
        if let consent { consentMembers.append(("personalization", .bool(consent))) }
        var out: [(key: String, value: JSONValue)] = [
            ("user", .string(user)), ("version", .number(Double(version))), ("seq", .number(Double(seq))),
            ("consent", .object(consentMembers)), ("attributes", .object(attrs)), ("segments", .array(segments)),
        ]
        if !behaviour.isEmpty {
            let b = behaviour
            var events: [(key: String, value: JSONValue)] = []
            for e in b.events {
                var daily: [(key: String, value: JSONValue)] = []
                for (i, n) in e.buckets.enumerated() where n > 0 {
                    let day = Double(Int(e.newestDay) - i) * 86_400
                    daily.append((String(Timestamp.format(day).prefix(10)), .number(Double(n))))
                }
                var entry: [(key: String, value: JSONValue)] = [
                    ("count", .number(e.count)), ("first_at", time(e.firstAt)), ("last_at", time(e.lastAt)),
                ]
                if !e.lastProperties.isEmpty, let p = try? JSONValue.parse(e.lastProperties) {
                    entry.append(("last_properties", p))
                }
                entry.append(("daily", .object(daily)))
                events.append((e.type, .object(entry)))
            }
            let lines: [JSONValue] = b.cart.skus.indices.map { i in
                .object([
                    ("sku", .string(b.cart.skus[i])), ("quantity", .number(b.cart.quantities[i])),
                    ("price", .number(b.cart.prices[i])),
                ])
            }
            out.append(
                (
                    "behaviour",
                    .object([
                        ("first_seen", time(b.firstSeen)), ("last_seen", time(b.lastSeen)),
                        (
                            "cart",
                            .object([
                                ("items", .number(b.cart.items)), ("value", .number(b.cart.value)),
                                ("updated_at", time(b.cart.updatedAt)), ("lines", .array(lines)),
                            ])
                        ),
                        (
                            "orders",
                            .object([
                                ("count", .number(b.orderCount)), ("value", .number(b.orderValue)),
                                ("last_at", time(b.lastOrderAt)),
                            ])
                        ),
                        ("events", .object(events)),
                    ])
                ))
        }
        return .object(out)
    }
}

extension StoredValue {
    /// The value as JSON.
    public var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        case .numberList(let l): return .array(l.map { .number($0) })
        case .stringList(let l): return .array(l.map { .string($0) })
        }
    }
}
