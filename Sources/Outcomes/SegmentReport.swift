public import Decision
public import JSON
public import Store

/// Users per segment, the overlap of every pair (Jaccard index), and warnings for segments too small to learn
/// from, found by deciding every stored profile's segments (no request context: segments that test the
/// request, such as the device, count only users explicitly assigned to them).
public struct SegmentReport: Sendable {
    /// Profiles scanned.
    public var profiles = 0
    /// Users per segment, by bit.
    public var users: [Int]
    /// Users in both segments, by (lower bit, higher bit).
    public var both: [Int: Int] = [:]
    public let names: [String]

    /// Below this many users a segment is flagged. Default 100.
    public static let minimumUsers = 100
    /// Below this share of profiles a segment is flagged. Default 1%.
    public static let minimumShare = 0.01

    /// Scans every profile of `snapshot` with `engine` at time `now`; `progress` is called every 100,000
    /// profiles with the count so far.
    public init(
        engine: DecisionEngine, snapshot: ProfileReader.Snapshot, now: Double, progress: (Int) -> Void = { _ in }
    ) throws {
        names = engine.segmentNamesByBit
        users = [Int](repeating: 0, count: names.count)
        var members: [Int] = []
        var counted = 0
        var pairs: [Int: Int] = [:]
        var perUser = users
        try snapshot.forEachProfile { user, profile in
            let set = engine.segmentSet(user: user, profile: profile, now: now, savedGroups: snapshot)
            members.removeAll(keepingCapacity: true)
            set.forEach { members.append($0) }
            for (i, a) in members.enumerated() {
                if a < perUser.count { perUser[a] += 1 }
                for b in members[(i + 1)...] { pairs[a << 16 | b, default: 0] += 1 }
            }
            counted += 1
            if counted % 100_000 == 0 { progress(counted) }
            return true
        }
        users = perUser
        both = pairs
        profiles = counted
    }

    /// The report as JSON: per segment users, share and a warning when small; per pair with users in both, the
    /// shared users and the Jaccard index.
    public var json: JSONValue {
        let threshold = max(Double(Self.minimumUsers), Self.minimumShare * Double(profiles))
        var segments: [JSONValue] = []
        for (bit, name) in names.enumerated() {
            var m: [(key: String, value: JSONValue)] = [
                ("segment", .string(name)), ("users", .number(Double(users[bit]))),
                ("share", .number(profiles > 0 ? Double(users[bit]) / Double(profiles) : 0)),
            ]
            if Double(users[bit]) < threshold {
                m.append(
                    ("warning",
                     .string(
                        "fewer than \(Self.minimumUsers) users or \(Int(Self.minimumShare * 100))% of profiles: too small to measure variants reliably"
                     )))
            }
            segments.append(.object(m))
        }
        var overlaps: [JSONValue] = []
        for key in both.keys.sorted() {
            let a = key >> 16
            let b = key & 0xffff
            guard a < names.count, b < names.count, let n = both[key] else { continue }
            let union = users[a] + users[b] - n
            overlaps.append(
                .object([
                    ("a", .string(names[a])), ("b", .string(names[b])), ("both", .number(Double(n))),
                    ("jaccard", .number(union > 0 ? Double(n) / Double(union) : 0)),
                ]))
        }
        return .object([
            ("profiles", .number(Double(profiles))), ("segments", .array(segments)), ("overlaps", .array(overlaps)),
            ("note", .string("computed without request context; overlaps list pairs with at least one shared user")),
        ])
    }
}
