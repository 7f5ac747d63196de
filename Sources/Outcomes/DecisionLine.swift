public import JSON
import Decision
import Targeting

/// One raw decision log record as an NDJSON line (the admin export and `tessera decisions export`).
public enum DecisionLine {
    /// One raw log record as an NDJSON line, with names from its revision's catalog.
    public static func json(_ seq: UInt64, _ e: Exposure, _ catalog: OutcomeCatalog?) -> JSONValue {
        var m: [(key: String, value: JSONValue)] = [
            ("seq", .number(Double(seq))), ("ts", .string(Timestamp.format(e.time))), ("user", .string(e.userID)),
            ("revision", .number(Double(e.revision))),
        ]
        if let catalog, Int(e.slot) < catalog.slots.count, Int(e.outcome) < catalog.slots[Int(e.slot)].outcomes.count {
            let s = catalog.slots[Int(e.slot)]
            let d = s.outcomes[Int(e.outcome)]
            m.append(("slot", .string(s.id)))
            m.append(("rule", d.rule.map(JSONValue.string) ?? .null))
            m.append(("variant", .string(d.variant)))
            m.append(("experiment", d.experiment.map(JSONValue.string) ?? .null))
            var names: [JSONValue] = []
            e.segments.forEach { bit in if bit < catalog.segments.count { names.append(.string(catalog.segments[bit])) } }
            m.append(("segments", .array(names)))
        } else {
            m.append(("slot_index", .number(Double(e.slot))))
            m.append(("outcome_index", .number(Double(e.outcome))))
        }
        return .object(m)
    }
}
